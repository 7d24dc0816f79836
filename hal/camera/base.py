"""The Camera interface: a source of the newest frame.

A driver implements `_latest(timeout)`; it keeps grabbing in its own thread and hands out only the
newest frame (a live preview must never lag behind a queue). The base turns that into a frame iterator
that never yields the same frame twice, and a snapshot.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from hal.device import Device, DeviceKind
from hal.errors import DeviceTimeout

# How long a live stream may go without a new frame before it counts as stalled. A camera that
# pauses briefly (auto exposure, a USB hiccup) is waited for; a longer gap ends the capture.
FRAME_GAP_S = 3.0


@dataclass(frozen=True)
class Frame:
    """One camera frame: BGR pixels with its number, grab time and the broken frames skipped."""

    # Increases by one per decoded frame since the device was opened.
    frame_id: int
    # BGR, uint8, height x width x 3.
    image: NDArray[np.uint8]
    # time.monotonic() when the frame was grabbed.
    grabbed_at: float
    # Broken frames received and skipped since the device was opened.
    corrupt_frames: int = 0

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])


class Camera(Device):
    """The camera device kind: frames on demand, from any backend."""

    kind: ClassVar[DeviceKind] = DeviceKind.CAMERA

    @abstractmethod
    def _latest(self, timeout: float) -> Frame:
        """The newest frame grabbed, waiting up to `timeout` s for the first one.

        Raises DeviceTimeout when no frame arrives, DeviceGone when the stream ended.
        """

    def snapshot(self, timeout: float = 2.0) -> Frame:
        return self._latest(timeout)

    def frames(self, timeout: float = FRAME_GAP_S) -> Iterator[Frame]:
        """Newest frames as they arrive, each once; raises DeviceTimeout if none comes for `timeout` s."""
        last_id = -1
        while True:
            deadline = time.monotonic() + timeout
            frame = self._latest(timeout)
            while frame.frame_id == last_id:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DeviceTimeout(f"no new frame for {timeout:.1f} s", device=self.name)
                self._wait_new_frame(last_id, remaining)
                frame = self._latest(remaining)
            last_id = frame.frame_id
            yield frame

    def _wait_new_frame(self, last_id: int, timeout: float) -> None:
        """Blocks until a frame newer than `last_id` may be there. Drivers with a condition override it."""
        time.sleep(min(timeout, 0.005))

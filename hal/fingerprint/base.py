"""The FingerprintScanner interface: one capture as a stream of events.

A driver implements `_scan` (start a capture, yield finger on/off and preview images as they come, end
with the final image) and `abort`. The base gives every driver `capture()`, which runs a scan to its
final image, and the guarantee that a scan is always ended (aborted) when the caller stops early or the
scan fails; a failing abort never hides the error that ended the scan.
"""

from __future__ import annotations

import contextlib
import enum
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from hal.device import Device, DeviceKind
from hal.errors import DeviceError, ProtocolError


class ImageKind(enum.IntEnum):
    """Whether an image is a live preview or the final capture."""

    FINAL = 1
    PREVIEW = 2


@dataclass(frozen=True)
class FingerprintImage:
    """A greyscale fingerprint image with its kind, resolution and frame id."""

    kind: ImageKind
    # 8-bit grey, height x width.
    pixels: NDArray[np.uint8]
    ppi: int
    frame_id: int

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


@dataclass(frozen=True)
class FingerOn:
    """A finger touched the glass."""

    pass


@dataclass(frozen=True)
class FingerOff:
    """The finger left the glass."""

    pass


ScanEvent = FingerOn | FingerOff | FingerprintImage


class FingerprintScanner(Device):
    """The fingerprint scanner device kind: scans with finger events, previews and a final image."""

    kind: ClassVar[DeviceKind] = DeviceKind.FINGERPRINT_SCANNER

    @abstractmethod
    def _scan(
        self, timeout: float, auto_capture_threshold: int, *, preview: bool
    ) -> Iterator[ScanEvent]:
        """Runs one capture: yields events until (and including) the FINAL image.

        Raises DeviceTimeout when no finger is placed in time; DeviceGone, DeviceBusy, ProtocolError
        as they happen. `auto_capture_threshold` (0..100) is the device-side quality at which it takes
        the final image on its own.
        """

    @abstractmethod
    def abort(self) -> None:
        """Stops a running capture; harmless when none runs."""

    @abstractmethod
    def set_led(self, *, on: bool) -> None:
        """Switches the guidance light."""

    def scan(
        self, timeout: float = 10.0, auto_capture_threshold: int = 40, *, preview: bool = True
    ) -> Iterator[ScanEvent]:
        """Capture events; the capture is aborted if the caller stops iterating before the end."""
        finished = False
        try:
            for event in self._scan(timeout, auto_capture_threshold, preview=preview):
                yield event
                if isinstance(event, FingerprintImage) and event.kind is ImageKind.FINAL:
                    finished = True
                    return
        except DeviceError:
            finished = True
            # A reader whose link just failed may not answer the abort either (on libusb it times out
            # while the node is still there); the caller must learn why the scan ended.
            with contextlib.suppress(DeviceError):
                self.abort()
            raise
        finally:
            if not finished:
                self.abort()

    def capture(self, timeout: float = 10.0, auto_capture_threshold: int = 40) -> FingerprintImage:
        """Runs a capture without preview and returns the final image."""
        for event in self.scan(timeout, auto_capture_threshold, preview=False):
            if isinstance(event, FingerprintImage) and event.kind is ImageKind.FINAL:
                return event
        raise ProtocolError("capture ended without a final image", device=self.name)

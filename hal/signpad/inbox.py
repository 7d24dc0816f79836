"""What the reader thread has received for the driver's caller: pen batches, button presses, a loss.

`read` hands out every pen batch that has already arrived as one, up to the next button press, and
keeps reporting a lost link once it was seen. Nothing here touches the port.
"""

from __future__ import annotations

import queue

from hal.errors import DeviceError
from hal.signpad.base import ButtonPress, PadEvent


class PadInbox:
    """The queue between the reader thread and `SignaturePad.read_event`."""

    def __init__(self) -> None:
        self._queue: queue.Queue[PadEvent | DeviceError] = queue.Queue()
        self._held: PadEvent | DeviceError | None = None

    def put(self, event: PadEvent | DeviceError) -> None:
        self._queue.put(event)

    def read(self, timeout: float) -> PadEvent | None:
        """The next event (None after `timeout`); raises the link's loss, now and on every call."""
        first = self._next(timeout)
        if first is None:
            return None
        if isinstance(first, DeviceError):
            self._held = first  # every later call reports the same loss
            raise first
        if isinstance(first, ButtonPress):
            return first
        # Hand out everything that has already arrived as one batch, up to the next button press.
        batch = list(first)
        while True:
            more = self._next(0.0)
            if more is None:
                break
            if isinstance(more, list):
                batch.extend(more)
            else:
                self._held = more
                break
        return batch

    def discard_stale(self) -> None:
        """Drops the events of an earlier capture; a loss stays."""
        kept: list[DeviceError] = []
        if isinstance(self._held, DeviceError):
            kept.append(self._held)
        self._held = None
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, DeviceError):
                kept.append(event)
        for error in kept:
            self._queue.put(error)

    def _next(self, timeout: float) -> PadEvent | DeviceError | None:
        held, self._held = self._held, None
        if held is not None:
            return held
        try:
            if timeout <= 0:
                return self._queue.get_nowait()
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

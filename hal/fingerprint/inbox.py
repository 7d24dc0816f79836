"""What the readers of one KFP1 opening received, as a capture sees it.

A capture reads the items of its own command tag as FingerOn, FingerOff and FingerprintImage; items of
other tags (a previous host, an aborted capture) and lost previews are counted and skipped; a lost
final image is handed on (ImageLost) so the capture can be repeated; the end of the link ends the
capture with DeviceGone. Nothing here touches USB.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from typing import NoReturn

import numpy as np

from hal.errors import DeviceBusy, DeviceGone, DeviceTimeout, ProtocolError
from hal.fingerprint import protocol as kfp1
from hal.fingerprint.base import FingerOff, FingerOn, FingerprintImage, ImageKind
from hal.fingerprint.link import (
    EventIn,
    ImageIn,
    ImageLost,
    Inbound,
    LinkCounters,
    LinkDown,
    status_error,
)

# What a capture reads from the inbox.
CaptureItem = FingerOn | FingerOff | FingerprintImage | ImageLost


class ScanInbox:
    """The queue between the readers of one opening and the captures made on it."""

    def __init__(self, counters: LinkCounters, *, name: str) -> None:
        self._queue: queue.Queue[Inbound] = queue.Queue()
        self._counters = counters
        self._name = name

    def put(self, item: Inbound) -> None:
        self._queue.put(item)

    def discard_stale(self) -> None:
        """Drops what arrived before a new command; raises if the link has ended meanwhile."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, LinkDown):
                raise item.error
            self._counters.count(stale_discarded=1)

    def items(self, tag: int, deadline: float, timeout: float) -> Iterator[CaptureItem]:
        """The capture `tag`'s items until `deadline`; DeviceTimeout when nothing ends it."""
        while True:
            seen = self._seen(self._next(deadline, timeout), tag, timeout)
            if seen is not None:
                yield seen

    def _seen(
        self, item: EventIn | ImageIn | ImageLost, tag: int, timeout: float
    ) -> CaptureItem | None:
        """What the capture `tag` makes of one item; None for what it counts and skips."""
        if isinstance(item, ImageLost):
            return self._lost(item, tag)
        if isinstance(item, ImageIn):
            return self._image(item, tag)
        return self._event(item, tag, timeout)

    def _next(self, deadline: float, timeout: float) -> EventIn | ImageIn | ImageLost:
        """The next item; DeviceTimeout at `deadline`, DeviceGone when the link has ended."""
        remaining = deadline - time.monotonic()
        try:
            item = self._queue.get(timeout=max(0.0, remaining))
        except queue.Empty:
            raise DeviceTimeout(
                f"the reader sent nothing to end the capture within {timeout:g} s",
                device=self._name,
            ) from None
        if isinstance(item, LinkDown):
            raise DeviceGone(str(item.error.args[0]), device=self._name)
        return item

    def _lost(self, item: ImageLost, tag: int) -> ImageLost | None:
        """A lost final image of this capture; a lost preview or another tag's loss is counted."""
        if item.tag is not None and item.tag != tag:
            self._counters.count(stale_discarded=1)
        elif item.kind is kfp1.ImageKindCode.PREVIEW:
            self._counters.count(dropped_previews=1)
        else:
            return item
        return None

    def _image(self, item: ImageIn, tag: int) -> FingerprintImage | None:
        """This capture's image as pixels; another tag's image is counted as stale."""
        header = item.image.header
        if header.tag != tag:
            self._counters.count(stale_discarded=1)
            return None
        pixels = np.frombuffer(item.image.pixels, np.uint8).reshape(header.height, header.width)
        kind = ImageKind.FINAL if header.kind is kfp1.ImageKindCode.FINAL else ImageKind.PREVIEW
        return FingerprintImage(kind, pixels.copy(), header.ppi, header.frame_id)

    def _event(self, item: EventIn, tag: int, timeout: float) -> FingerOn | FingerOff | None:
        """This capture's finger on/off; its error event ends the capture with the typed error."""
        event = item.event
        if event.tag != tag:
            self._counters.count(stale_discarded=1)
            return None
        if event.code is kfp1.EventCode.FINGER_ON:
            return FingerOn()
        if event.code is kfp1.EventCode.FINGER_OFF:
            return FingerOff()
        if event.code is kfp1.EventCode.ERROR:
            self._capture_ended(event.status, timeout)
        return None

    def _capture_ended(self, status: kfp1.Status, timeout: float) -> NoReturn:
        if status is kfp1.Status.TIMEOUT:
            raise DeviceTimeout(
                f"no usable finger on the reader within {timeout:g} s", device=self._name
            )
        if status is kfp1.Status.ABORTED:
            raise DeviceBusy("the capture was aborted by another request", device=self._name)
        error = status_error(status, "capture", self._name)
        if error is not None:
            raise error
        raise ProtocolError(f"the capture ended with {status.name}", device=self._name)

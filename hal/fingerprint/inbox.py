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
from hal.fingerprint.link import ImageIn, ImageLost, Inbound, LinkCounters, LinkDown, status_error


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

    def items(
        self, tag: int, deadline: float, timeout: float
    ) -> Iterator[FingerOn | FingerOff | FingerprintImage | ImageLost]:
        """The capture `tag`'s items until `deadline`; DeviceTimeout when nothing ends it."""
        while True:
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
            if isinstance(item, ImageLost):
                if item.tag is not None and item.tag != tag:
                    self._counters.count(stale_discarded=1)
                elif item.kind is kfp1.ImageKindCode.PREVIEW:
                    self._counters.count(dropped_previews=1)
                else:
                    yield item
                continue
            if isinstance(item, ImageIn):
                header = item.image.header
                if header.tag != tag:
                    self._counters.count(stale_discarded=1)
                    continue
                pixels = np.frombuffer(item.image.pixels, np.uint8).reshape(
                    header.height, header.width
                )
                kind = (
                    ImageKind.FINAL
                    if header.kind is kfp1.ImageKindCode.FINAL
                    else ImageKind.PREVIEW
                )
                yield FingerprintImage(kind, pixels.copy(), header.ppi, header.frame_id)
                continue
            event = item.event
            if event.tag != tag:
                self._counters.count(stale_discarded=1)
                continue
            if event.code is kfp1.EventCode.FINGER_ON:
                yield FingerOn()
            elif event.code is kfp1.EventCode.FINGER_OFF:
                yield FingerOff()
            elif event.code is kfp1.EventCode.ERROR:
                self._capture_ended(event.status, timeout)

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

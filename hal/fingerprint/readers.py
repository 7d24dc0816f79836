"""The two background readers of one KFP1 opening: the event (0x83) and image (0x82) endpoints.

Each keeps a transfer pending for as long as the opening lasts and puts what it reads into that
opening's inbox: decoded events, whole images, images lost to a CRC error or a stall, and the loss of
the link (reported once through `on_lost`). Damaged transfers are counted and skipped. They never
send a command.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import usb.core

from hal.errors import DeviceGone, ProtocolError
from hal.fingerprint import protocol as kfp1
from hal.fingerprint.inbox import ScanInbox
from hal.fingerprint.link import EventIn, ImageIn, ImageLost, LinkCounters, LinkDown, is_pipe

# Readers wake this often to notice close(); an unplug is seen at once (the pending transfer fails).
READER_POLL_MS = 250
EVENT_BUFFER = 64


class EndpointReaders:
    """Starts, feeds the inbox from, and stops the event and image readers of one opening."""

    def __init__(
        self,
        device: usb.core.Device,
        inbox: ScanInbox,
        counters: LinkCounters,
        *,
        name: str,
        on_lost: Callable[[DeviceGone], None],
    ) -> None:
        self._device = device
        self._inbox = inbox
        self._counters = counters
        self._name = name
        self._on_lost = on_lost
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._read_events, name=f"{name}-events", daemon=True),
            threading.Thread(target=self._read_images, name=f"{name}-images", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def quiet(self) -> None:
        """From now on the readers report no loss and end at their next wake-up."""
        self._stopping.set()

    def join(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=2 * READER_POLL_MS / 1000.0 + 1.0)

    def _lost(self, exc: Exception) -> None:
        if self._stopping.is_set():
            return
        text = exc.strerror if isinstance(exc, usb.core.USBError) and exc.strerror else str(exc)
        error = DeviceGone(f"the reader disconnected ({text})", device=self._name)
        self._inbox.put(LinkDown(error))
        self._on_lost(error)

    def _read_events(self) -> None:
        while not self._stopping.is_set():
            try:
                data = bytes(self._device.read(kfp1.EP_EVENT, EVENT_BUFFER, READER_POLL_MS))
            except usb.core.USBTimeoutError:
                continue
            except usb.core.USBError as exc:
                self._lost(exc)
                return
            try:
                self._inbox.put(EventIn(kfp1.decode_event(data)))
            except ProtocolError:
                self._counters.count(bad_transfers=1)

    def _read_images(self) -> None:
        device = self._device
        assembler = kfp1.ImageAssembler()
        while not self._stopping.is_set():
            try:
                data = bytes(device.read(kfp1.EP_IMAGE, kfp1.IMAGE_TRANSFER_SIZE, READER_POLL_MS))
            except usb.core.USBTimeoutError:
                continue
            except usb.core.USBError as exc:
                if not is_pipe(exc):
                    self._lost(exc)
                    return
                assembler.reset()
                self._counters.count(stalls=1)
                try:
                    device.clear_halt(kfp1.EP_IMAGE)
                except usb.core.USBError as clear_exc:
                    self._lost(clear_exc)
                    return
                self._inbox.put(ImageLost("the image endpoint stalled", None, None))
                continue
            try:
                image = assembler.feed(data)
            except kfp1.ImageCorrupt as corrupt:
                self._counters.count(corrupt_images=1)
                self._inbox.put(ImageLost(str(corrupt), corrupt.tag, corrupt.kind))
                continue
            except ProtocolError:
                self._counters.count(bad_transfers=1)
                continue
            if image is not None:
                self._inbox.put(ImageIn(image))

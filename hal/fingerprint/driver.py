"""The KFP1 fingerprint reader driver over pyusb (docs/protocols/kfp1.md).

    kfp1+usb://1d6b:0104?serial=KFP1-0001&timeout_ms=1000   libusb-1.0 on the board
    kfp1+sim:unix:/run/kitsim/fingerprint.usb                 the simulated reader

The same code runs over both transports (hal/usb). Two background readers (hal.fingerprint.readers) keep
a transfer pending on the event (0x83) and image (0x82) endpoints for as long as the device is open; what
they read goes into one inbox (hal.fingerprint.inbox) that a capture consumes, checked against its tag.
Commands are serialised and matched to responses by tag. This module must never let a USBError or OSError escape, never hand out an image whose
CRC failed, and never decide policy (retries of a whole attempt, rebinding): the supervisor does that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import usb.core
import usb.util

from hal.device import DeviceInfo
from hal.errors import (
    DeviceError,
    DeviceGone,
    DeviceTimeout,
    ProtocolError,
)
from hal.fingerprint import protocol as kfp1
from hal.fingerprint.base import (
    FingerOff,
    FingerOn,
    FingerprintImage,
    FingerprintScanner,
    ImageKind,
)
from hal.fingerprint.inbox import ScanInbox
from hal.fingerprint.link import (
    ImageLost,
    LinkCounters,
    LinkDown,
    LinkStats,
    claim,
    is_pipe,
    release,
    status_error,
    translate_usb_error,
)
from hal.fingerprint.readers import EVENT_BUFFER, EndpointReaders
from hal.source import Source
from hal.usb.locate import check_usb_source, find_device

DRAIN_QUIET_MS = 20
# A capture ends on the device's own timeout; the host allows this much more before giving up on it.
CAPTURE_MARGIN_S = 2.0
# A damaged final image (CRC) or a stalled image stream is captured again at most this often.
MAX_IMAGE_RETRIES = 2
RESPONSE_BUFFER = 4096

_SPEEDS = {1: ("low", 1.5), 2: ("full", 12.0), 3: ("high", 480.0), 4: ("super", 5000.0)}


class KFP1Scanner(FingerprintScanner):
    """The `kfp1` driver: commands on the bulk endpoints, captures from the readers' inbox."""

    @classmethod
    def check_source(cls, source: Source) -> None:
        check_usb_source(source)
        source.int_option("timeout_ms", 1000)

    def __init__(self, source: Source, *, name: str = "") -> None:
        super().__init__(source, name=name)
        self.command_timeout_ms = source.int_option("timeout_ms", 1000)
        self._dev: usb.core.Device | None = None
        self._command_lock = threading.Lock()
        self._tag = 0
        self._counters = LinkCounters()
        self._inbox = ScanInbox(self._counters, name=self.name)
        self._readers: EndpointReaders | None = None
        self.sensor: kfp1.InfoPayload | None = None

    # -- diagnostics ---------------------------------------------------------------------------------

    @property
    def link_stats(self) -> LinkStats:
        return self._counters.stats

    # -- open / close --------------------------------------------------------------------------------

    def _open(self) -> DeviceInfo:
        self._counters = LinkCounters()
        self._inbox = ScanInbox(self._counters, name=self.name)
        device = find_device(self.source, self.name)
        try:
            claim(device)
            self._dev = device
            # Whatever a previous host left running or queued must not leak into our first capture.
            self._command(kfp1.Opcode.ABORT)
            self._drain()
            info = kfp1.decode_info(self._command(kfp1.Opcode.GET_INFO).payload)
        except DeviceError:
            release(device)
            self._dev = None
            raise
        except usb.core.USBError as exc:
            release(device)
            self._dev = None
            raise translate_usb_error(exc, "opening the reader", self.name) from exc
        self.sensor = info
        self._readers = EndpointReaders(
            device, self._inbox, self._counters, name=self.name, on_lost=self._link_lost
        )
        self._readers.start()
        speed_name, speed_mbps = _SPEEDS.get(int(device.speed or 0), ("unknown", 0.0))
        return DeviceInfo(
            vendor=info.vendor,
            model=info.model,
            serial=info.serial,
            firmware=info.firmware,
            details={
                "ppi": str(info.ppi),
                "width": str(info.width),
                "height": str(info.height),
                "preview_ppi": str(info.ppi // info.preview_decimation),
                "usb_id": f"{info.vendor_id:04x}:{info.product_id:04x}",
                "usb_speed": speed_name,
                "usb_speed_mbps": f"{speed_mbps:g}",
                "transport": "simulator" if self.source.transport == "sim" else "libusb",
            },
        )

    def _drain(self) -> None:
        device = self._require_device()
        for endpoint, size in (
            (kfp1.EP_RESPONSE, RESPONSE_BUFFER),
            (kfp1.EP_IMAGE, kfp1.IMAGE_TRANSFER_SIZE),
            (kfp1.EP_EVENT, EVENT_BUFFER),
        ):
            while True:
                try:
                    device.read(endpoint, size, DRAIN_QUIET_MS)
                except usb.core.USBTimeoutError:
                    break
                except usb.core.USBError as exc:
                    if not is_pipe(exc):
                        raise
                    device.clear_halt(endpoint)
                    break

    def _close(self) -> None:
        readers, self._readers = self._readers, None
        if readers is not None:
            readers.quiet()
        # Whoever still waits on this opening (a capture, the supervisor having closed it after a loss
        # or a caller) learns it ended instead of waiting out its deadline; the readers stay quiet now.
        self._inbox.put(LinkDown(DeviceGone("the reader was closed", device=self.name)))
        if readers is not None:
            readers.join()
        device, self._dev = self._dev, None
        if device is not None:
            release(device)

    def _require_device(self) -> usb.core.Device:
        device = self._dev
        if device is None:
            raise DeviceGone("the reader is not open", device=self.name)
        return device

    # -- commands ------------------------------------------------------------------------------------

    def _next_tag(self) -> int:
        self._tag = self._tag % 0xFFFF + 1
        return self._tag

    def _command(self, opcode: kfp1.Opcode, payload: bytes = b"") -> kfp1.Response:
        with self._command_lock:
            device = self._require_device()
            tag = self._next_tag()
            doing = f"{opcode.name} (tag {tag})"
            try:
                device.write(kfp1.EP_COMMAND, kfp1.encode_command(opcode, tag, payload), 1000)
            except usb.core.USBError as exc:
                raise translate_usb_error(exc, f"sending {doing}", self.name) from exc
            deadline = time.monotonic() + self.command_timeout_ms / 1000.0
            while True:
                remaining_ms = int((deadline - time.monotonic()) * 1000)
                if remaining_ms <= 0:
                    raise DeviceTimeout(
                        f"no answer to {doing} within {self.command_timeout_ms} ms; "
                        "if it keeps happening, replug the reader",
                        device=self.name,
                    )
                try:
                    data = bytes(device.read(kfp1.EP_RESPONSE, RESPONSE_BUFFER, remaining_ms))
                except usb.core.USBTimeoutError:
                    continue
                except usb.core.USBError as exc:
                    if is_pipe(exc):
                        self._counters.count(stalls=1)
                        try:
                            device.clear_halt(kfp1.EP_RESPONSE)
                        except usb.core.USBError as clear_exc:
                            raise translate_usb_error(clear_exc, doing, self.name) from clear_exc
                    raise translate_usb_error(
                        exc, f"reading the answer to {doing}", self.name
                    ) from exc
                try:
                    response = kfp1.decode_response(data)
                except ProtocolError:
                    self._counters.count(bad_transfers=1)
                    continue
                if response.tag != tag or response.opcode is not opcode:
                    self._counters.count(stale_discarded=1)
                    continue
                self._check_status(response.status, doing)
                return response

    def _check_status(self, status: kfp1.Status, doing: str) -> None:
        error = status_error(status, doing, self.name)
        if error is not None:
            raise error

    def set_led(self, *, on: bool) -> None:
        self._command(kfp1.Opcode.SET_LED, kfp1.led_payload(on=on))

    def status(self) -> kfp1.StatusPayload:
        return kfp1.decode_status(self._command(kfp1.Opcode.GET_STATUS).payload)

    def ping(self) -> None:
        self.status()

    def abort(self) -> None:
        if self._dev is None:
            return
        try:
            self._command(kfp1.Opcode.ABORT)
        except DeviceGone:
            # Nothing is left to abort; the readers report the loss to the supervisor.
            return

    def blank_frame(self, timeout: float = 5.0) -> FingerprintImage:
        """One sensor frame of the platen as it is now (PREVIEW_START, the first image, PREVIEW_STOP),
        without a capture: the self-test judges an empty platen on it (clean, dynamic range, noise).
        """
        inbox = self._inbox
        inbox.discard_stale()
        tag = self._command(kfp1.Opcode.PREVIEW_START).tag
        try:
            deadline = time.monotonic() + timeout
            for item in inbox.items(tag, deadline, timeout):
                if isinstance(item, FingerprintImage):
                    return item
        finally:
            if self._dev is not None:
                self._command(kfp1.Opcode.PREVIEW_STOP)
        raise ProtocolError("the preview ended without an image", device=self.name)

    # -- capture -------------------------------------------------------------------------------------

    def _scan(
        self, timeout: float, auto_capture_threshold: int, *, preview: bool
    ) -> Iterator[FingerOn | FingerOff | FingerprintImage]:
        payload = kfp1.capture_payload(int(timeout * 1000), auto_capture_threshold, preview=preview)
        retries = 0
        # A capture waits on the inbox of the opening it started on: a rebind attempt after a loss
        # opens a new one, and the loss must still reach this capture.
        inbox = self._inbox
        while True:
            inbox.discard_stale()
            tag = self._command(kfp1.Opcode.CAPTURE, payload).tag
            deadline = time.monotonic() + timeout + CAPTURE_MARGIN_S
            lost: ImageLost | None = None
            for item in inbox.items(tag, deadline, timeout):
                if isinstance(item, ImageLost):
                    lost = item
                    break
                yield item
                if isinstance(item, FingerprintImage) and item.kind is ImageKind.FINAL:
                    return
            if lost is None:
                return
            retries += 1
            if retries > MAX_IMAGE_RETRIES:
                raise ProtocolError(
                    f"no intact final image after {retries} captures ({lost.reason}); "
                    "check the USB cable and port",
                    device=self.name,
                )
            self._counters.count(capture_retries=1)
            self._command(kfp1.Opcode.ABORT)

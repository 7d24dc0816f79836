"""The KFP1 fingerprint reader driver over pyusb (docs/protocols/kfp1.md).

    kfp1+usb://1d6b:0104?serial=KFP1-0001&timeout_ms=1000   libusb-1.0 on the board
    kfp1+sim:unix:/run/kitsim/fingerprint.usb                 the simulated reader

The same code runs over both transports (hal/usb). Two background readers keep a transfer pending on the
event (0x83) and image (0x82) endpoints for as long as the device is open; what they read goes into one
inbox that a capture consumes, checked against the capture's tag. Commands are serialised and matched to
responses by tag. This module must never let a USBError or OSError escape, never hand out an image whose
CRC failed, and never decide policy (retries of a whole attempt, rebinding): the supervisor does that.
"""

from __future__ import annotations

import contextlib
import errno
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import usb.core
import usb.util

from hal.device import DeviceInfo
from hal.errors import (
    DeviceBusy,
    DeviceError,
    DeviceFault,
    DeviceGone,
    DeviceTimeout,
    ProtocolError,
)
from hal.fingerprint import protocol as kfp1
from hal.fingerprint.base import FingerImage, FingerOff, FingerOn, FingerprintScanner, ImageKind
from hal.source import Source
from hal.usb.locate import check_usb_source, find_device

INTERFACE = 0
CONFIGURATION = 1
# Readers wake this often to notice close(); an unplug is seen at once (the pending transfer fails).
READER_POLL_MS = 250
DRAIN_QUIET_MS = 20
# A capture ends on the device's own timeout; the host allows this much more before giving up on it.
CAPTURE_MARGIN_S = 2.0
# A damaged final image (CRC) or a stalled image stream is captured again at most this often.
MAX_IMAGE_RETRIES = 2
RESPONSE_BUFFER = 4096
EVENT_BUFFER = 64

_LIBUSB_BUSY = -6
_LIBUSB_ACCESS = -3
_LIBUSB_PIPE = -9
_SPEEDS = {1: ("low", 1.5), 2: ("full", 12.0), 3: ("high", 480.0), 4: ("super", 5000.0)}


@dataclass(frozen=True)
class LinkStats:
    """What the driver dropped or repeated since it was opened (for diagnostics and tests)."""

    stale_discarded: int = 0
    bad_transfers: int = 0
    corrupt_images: int = 0
    dropped_previews: int = 0
    stalls: int = 0
    capture_retries: int = 0


@dataclass(frozen=True)
class _EventIn:
    event: kfp1.Event


@dataclass(frozen=True)
class _ImageIn:
    image: kfp1.RawImage


@dataclass(frozen=True)
class _ImageLost:
    """An image that cannot be used: CRC failed (tag known) or the endpoint stalled (tag unknown)."""

    reason: str
    tag: int | None
    kind: kfp1.ImageKindCode | None


@dataclass(frozen=True)
class _LinkDown:
    error: DeviceGone


_Inbound = _EventIn | _ImageIn | _ImageLost | _LinkDown


def _is_pipe(exc: usb.core.USBError) -> bool:
    return bool(exc.backend_error_code == _LIBUSB_PIPE or exc.errno == errno.EPIPE)


def translate_usb_error(exc: usb.core.USBError, doing: str, device: str) -> DeviceError:
    """A USBError as the typed error a technician can act on."""
    if isinstance(exc, usb.core.USBTimeoutError):
        return DeviceTimeout(f"{doing}: the reader did not answer in time", device=device)
    code = exc.backend_error_code
    if code == _LIBUSB_BUSY or exc.errno == errno.EBUSY:
        return DeviceBusy(
            f"{doing}: the reader is held by another program (stop it, or unplug and replug)",
            device=device,
        )
    if code == _LIBUSB_ACCESS or exc.errno == errno.EACCES:
        return DeviceFault(
            f"{doing}: access to the reader was denied; check the udev rule for kitd",
            device=device,
        )
    if _is_pipe(exc):
        return ProtocolError(f"{doing}: the reader stalled the endpoint", device=device)
    return DeviceGone(f"{doing}: the reader is gone ({exc.strerror or exc})", device=device)


class KFP1Scanner(FingerprintScanner):
    @classmethod
    def check_source(cls, source: Source) -> None:
        check_usb_source(source)
        source.int_option("timeout_ms", 1000)

    def __init__(self, source: Source, *, name: str = "") -> None:
        super().__init__(source, name=name)
        self.command_timeout_ms = source.int_option("timeout_ms", 1000)
        self._dev: usb.core.Device | None = None
        self._command_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._tag = 0
        self._inbox: queue.Queue[_Inbound] = queue.Queue()
        self._stopping = threading.Event()
        self._readers: list[threading.Thread] = []
        self._stats = LinkStats()
        self.sensor: kfp1.InfoPayload | None = None

    # -- diagnostics ---------------------------------------------------------------------------------

    @property
    def link_stats(self) -> LinkStats:
        with self._stats_lock:
            return self._stats

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            values = {k: getattr(self._stats, k) + v for k, v in increments.items()}
            self._stats = replace(self._stats, **values)

    # -- open / close --------------------------------------------------------------------------------

    def _open(self) -> DeviceInfo:
        self._stopping.clear()
        self._inbox = queue.Queue()
        self._stats = LinkStats()
        device = find_device(self.source, self.name)
        try:
            self._bind(device)
            self._dev = device
            # Whatever a previous host left running or queued must not leak into our first capture.
            self._command(kfp1.Opcode.ABORT)
            self._drain()
            info = kfp1.decode_info(self._command(kfp1.Opcode.GET_INFO).payload)
        except DeviceError:
            self._release(device)
            self._dev = None
            raise
        except usb.core.USBError as exc:
            self._release(device)
            self._dev = None
            raise translate_usb_error(exc, "opening the reader", self.name) from exc
        self.sensor = info
        self._readers = [
            threading.Thread(
                target=self._read_events,
                args=(self._inbox,),
                name=f"{self.name}-events",
                daemon=True,
            ),
            threading.Thread(
                target=self._read_images,
                args=(self._inbox,),
                name=f"{self.name}-images",
                daemon=True,
            ),
        ]
        for reader in self._readers:
            reader.start()
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

    def _bind(self, device: usb.core.Device) -> None:
        try:
            if device.is_kernel_driver_active(INTERFACE):
                device.detach_kernel_driver(INTERFACE)
        except (NotImplementedError, usb.core.USBError):
            pass  # not every platform has kernel drivers to detach; claiming will tell
        try:
            active = device.get_active_configuration().bConfigurationValue
        except usb.core.USBError:
            active = None
        if active != CONFIGURATION:
            device.set_configuration(CONFIGURATION)
        usb.util.claim_interface(device, INTERFACE)

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
                    if not _is_pipe(exc):
                        raise
                    device.clear_halt(endpoint)
                    break

    def _release(self, device: usb.core.Device) -> None:
        # The device may already be gone; nothing is held then.
        with contextlib.suppress(usb.core.USBError, ValueError):
            usb.util.release_interface(device, INTERFACE)
        with contextlib.suppress(usb.core.USBError):
            usb.util.dispose_resources(device)

    def _close(self) -> None:
        self._stopping.set()
        # Whoever still waits on this opening (a capture, the supervisor having closed it after a loss
        # or a caller) learns it ended instead of waiting out its deadline; the readers stay quiet now.
        self._inbox.put(_LinkDown(DeviceGone("the reader was closed", device=self.name)))
        for reader in self._readers:
            reader.join(timeout=2 * READER_POLL_MS / 1000.0 + 1.0)
        self._readers = []
        device, self._dev = self._dev, None
        if device is not None:
            self._release(device)

    def _require_device(self) -> usb.core.Device:
        device = self._dev
        if device is None:
            raise DeviceGone("the reader is not open", device=self.name)
        return device

    # -- background readers --------------------------------------------------------------------------

    def _lost(self, exc: Exception, inbox: queue.Queue[_Inbound]) -> None:
        if self._stopping.is_set():
            return
        text = exc.strerror if isinstance(exc, usb.core.USBError) and exc.strerror else str(exc)
        error = DeviceGone(f"the reader disconnected ({text})", device=self.name)
        inbox.put(_LinkDown(error))
        self._link_lost(error)

    # Each reader feeds the inbox of its own opening.

    def _read_events(self, inbox: queue.Queue[_Inbound]) -> None:
        device = self._require_device()
        while not self._stopping.is_set():
            try:
                data = bytes(device.read(kfp1.EP_EVENT, EVENT_BUFFER, READER_POLL_MS))
            except usb.core.USBTimeoutError:
                continue
            except usb.core.USBError as exc:
                self._lost(exc, inbox)
                return
            try:
                inbox.put(_EventIn(kfp1.decode_event(data)))
            except ProtocolError:
                self._count(bad_transfers=1)

    def _read_images(self, inbox: queue.Queue[_Inbound]) -> None:
        device = self._require_device()
        assembler = kfp1.ImageAssembler()
        while not self._stopping.is_set():
            try:
                data = bytes(device.read(kfp1.EP_IMAGE, kfp1.IMAGE_TRANSFER_SIZE, READER_POLL_MS))
            except usb.core.USBTimeoutError:
                continue
            except usb.core.USBError as exc:
                if not _is_pipe(exc):
                    self._lost(exc, inbox)
                    return
                assembler.reset()
                self._count(stalls=1)
                try:
                    device.clear_halt(kfp1.EP_IMAGE)
                except usb.core.USBError as clear_exc:
                    self._lost(clear_exc, inbox)
                    return
                inbox.put(_ImageLost("the image endpoint stalled", None, None))
                continue
            try:
                image = assembler.feed(data)
            except kfp1.ImageCorrupt as corrupt:
                self._count(corrupt_images=1)
                inbox.put(_ImageLost(str(corrupt), corrupt.tag, corrupt.kind))
                continue
            except ProtocolError:
                self._count(bad_transfers=1)
                continue
            if image is not None:
                inbox.put(_ImageIn(image))

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
                    if _is_pipe(exc):
                        self._count(stalls=1)
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
                    self._count(bad_transfers=1)
                    continue
                if response.tag != tag or response.opcode is not opcode:
                    self._count(stale_discarded=1)
                    continue
                self._check_status(response.status, doing)
                return response

    def _check_status(self, status: kfp1.Status, doing: str) -> None:
        if status is kfp1.Status.OK:
            return
        if status is kfp1.Status.BUSY:
            raise DeviceBusy(
                f"{doing}: the reader is busy (a capture runs or the sensor recalibrates); "
                "try again in a moment",
                device=self.name,
            )
        if status is kfp1.Status.SENSOR_FAULT:
            raise DeviceFault(
                f"{doing}: the reader reports a sensor fault; clean the glass and replug it",
                device=self.name,
            )
        if status is kfp1.Status.TIMEOUT:
            raise DeviceTimeout(f"{doing}: the reader timed out", device=self.name)
        raise ProtocolError(f"{doing}: the reader refused it ({status.name})", device=self.name)

    def set_led(self, on: bool) -> None:
        self._command(kfp1.Opcode.SET_LED, kfp1.led_payload(on))

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

    def blank_frame(self, timeout: float = 5.0) -> FingerImage:
        """One sensor frame of the platen as it is now (PREVIEW_START, the first image, PREVIEW_STOP),
        without a capture: the self-test judges an empty platen on it (clean, dynamic range, noise)."""
        inbox = self._inbox
        self._discard(inbox)
        tag = self._command(kfp1.Opcode.PREVIEW_START).tag
        try:
            deadline = time.monotonic() + timeout
            for item in self._capture_items(inbox, tag, deadline, timeout):
                if isinstance(item, FingerImage):
                    return item
        finally:
            if self._dev is not None:
                self._command(kfp1.Opcode.PREVIEW_STOP)
        raise ProtocolError("the preview ended without an image", device=self.name)

    # -- capture -------------------------------------------------------------------------------------

    def _scan(
        self, timeout: float, auto_capture_threshold: int, preview: bool
    ) -> Iterator[FingerOn | FingerOff | FingerImage]:
        payload = kfp1.capture_payload(int(timeout * 1000), auto_capture_threshold, preview)
        retries = 0
        # A capture waits on the inbox of the opening it started on: a rebind attempt after a loss
        # opens a new one, and the loss must still reach this capture.
        inbox = self._inbox
        while True:
            self._discard(inbox)
            tag = self._command(kfp1.Opcode.CAPTURE, payload).tag
            deadline = time.monotonic() + timeout + CAPTURE_MARGIN_S
            lost: _ImageLost | None = None
            for item in self._capture_items(inbox, tag, deadline, timeout):
                if isinstance(item, _ImageLost):
                    lost = item
                    break
                yield item
                if isinstance(item, FingerImage) and item.kind is ImageKind.FINAL:
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
            self._count(capture_retries=1)
            self._command(kfp1.Opcode.ABORT)

    def _discard(self, inbox: queue.Queue[_Inbound]) -> None:
        while True:
            try:
                item = inbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _LinkDown):
                raise item.error
            self._count(stale_discarded=1)

    def _capture_items(
        self, inbox: queue.Queue[_Inbound], tag: int, deadline: float, timeout: float
    ) -> Iterator[FingerOn | FingerOff | FingerImage | _ImageLost]:
        while True:
            remaining = deadline - time.monotonic()
            try:
                item = inbox.get(timeout=max(0.0, remaining))
            except queue.Empty:
                raise DeviceTimeout(
                    f"the reader sent nothing to end the capture within {timeout:g} s",
                    device=self.name,
                ) from None
            if isinstance(item, _LinkDown):
                raise DeviceGone(str(item.error.args[0]), device=self.name)
            if isinstance(item, _ImageLost):
                if item.tag is not None and item.tag != tag:
                    self._count(stale_discarded=1)
                elif item.kind is kfp1.ImageKindCode.PREVIEW:
                    self._count(dropped_previews=1)
                else:
                    yield item
                continue
            if isinstance(item, _ImageIn):
                header = item.image.header
                if header.tag != tag:
                    self._count(stale_discarded=1)
                    continue
                pixels = np.frombuffer(item.image.pixels, np.uint8).reshape(
                    header.height, header.width
                )
                kind = (
                    ImageKind.FINAL
                    if header.kind is kfp1.ImageKindCode.FINAL
                    else ImageKind.PREVIEW
                )
                yield FingerImage(kind, pixels.copy(), header.ppi, header.frame_id)
                continue
            event = item.event
            if event.tag != tag:
                self._count(stale_discarded=1)
                continue
            if event.code is kfp1.EventCode.FINGER_ON:
                yield FingerOn()
            elif event.code is kfp1.EventCode.FINGER_OFF:
                yield FingerOff()
            elif event.code is kfp1.EventCode.ERROR:
                self._capture_ended(event.status, timeout)

    def _capture_ended(self, status: kfp1.Status, timeout: float) -> None:
        if status is kfp1.Status.TIMEOUT:
            raise DeviceTimeout(
                f"no usable finger on the reader within {timeout:g} s", device=self.name
            )
        if status is kfp1.Status.ABORTED:
            raise DeviceBusy("the capture was aborted by another request", device=self.name)
        self._check_status(status, "capture")
        raise ProtocolError(f"the capture ended with {status.name}", device=self.name)

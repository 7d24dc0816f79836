"""The `framed:` signature pad driver: the framed serial protocol (docs/protocols/signpad.md) over pyserial.

    framed:/dev/kitd-signpad                 a serial port (opened exclusively)
    framed:socket://127.0.0.1:7001           any pyserial URL
    options: ?reply_ms=1000&retries=2&silence_ms=2500&baud=115200&vendor=...

One reader thread per opening (hal.signpad.reader) decodes frames, routes replies to the waiting
command by sequence number (hal.signpad.replies) and queues pen samples and button presses. When the
link dies (EOF, I/O error, 2.5 s without a frame) the driver reports DeviceGone once through
`_link_lost`; the supervisor closes and reopens it.
No pyserial or OS exception ever leaves this module: they become the typed errors of hal.errors.
"""

from __future__ import annotations

import contextlib
import threading
import zlib

import numpy as np
import serial
from numpy.typing import NDArray

from hal.device import DeviceInfo
from hal.errors import (
    DeviceBusy,
    DeviceError,
    DeviceFault,
    DeviceGone,
    DeviceTimeout,
    ProtocolError,
)
from hal.signpad.base import (
    PadEvent,
    PadInfo,
    SignaturePad,
)
from hal.signpad.framing import Frame, encode_frame
from hal.signpad.inbox import PadInbox
from hal.signpad.port import open_port
from hal.signpad.protocol import (
    IMAGE_CHUNK,
    FrameType,
    NakCode,
    build_image_begin,
    build_image_data,
    build_image_end,
    parse_ack,
    parse_info,
    parse_nak,
)
from hal.signpad.reader import FrameReader, LinkStats
from hal.signpad.replies import PendingReplies
from hal.source import Source

# Refusals that mean "driver and firmware disagree"; the others are the pad's own trouble.
_PROTOCOL_NAKS = frozenset({NakCode.UNKNOWN_TYPE, NakCode.BAD_LENGTH})


class FramedSignaturePad(SignaturePad):
    """The `framed:` driver: commands and replies over any pyserial port, events from a reader."""

    def __init__(self, source: Source, *, name: str = "") -> None:
        super().__init__(source, name=name)
        self._reply_timeout = source.int_option("reply_ms", 1000) / 1000.0
        self._retries = max(0, source.int_option("retries", 2))
        self._silence = source.int_option("silence_ms", 2500) / 1000.0
        self._baud = source.int_option("baud", 115200)
        self._port: serial.Serial | None = None
        self._reader: FrameReader | None = None
        self._write_lock = threading.Lock()
        self._pending = PendingReplies()
        self._inbox = PadInbox()
        self._pad: PadInfo | None = None
        self._lost: DeviceError | None = None
        self._streaming = False
        self.stats = LinkStats()

    # -- Device --------------------------------------------------------------------------------------

    def _open(self) -> DeviceInfo:
        self._lost = None
        self._inbox = PadInbox()
        self._streaming = False
        self.stats = LinkStats()
        port = open_port(self.source.target, baud=self._baud, device=self.name)
        self._port = port
        self._reader = FrameReader(
            port,
            device=self.name,
            silence_s=self._silence,
            replies=self._pending,
            events=self._inbox,
            streaming=lambda: self._streaming,
            on_lost=self._lose,
            stats=self.stats,
        )
        self._reader.start()
        try:
            # The pad may still be streaming for a previous host.
            self._command(FrameType.STOP)
            reply = self._request(FrameType.GET_INFO, b"", FrameType.INFO)
            info = parse_info(reply.payload)
        except BaseException:
            self._close()
            raise
        self._pad = PadInfo(
            max_x=info.max_x,
            max_y=info.max_y,
            max_pressure=info.max_pressure,
            rate_hz=info.rate_hz,
            lpi=info.lpi,
            screen_width=info.screen_width,
            screen_height=info.screen_height,
        )
        return DeviceInfo(
            vendor=self.source.option("vendor", "generic"),
            model=info.model,
            serial=info.serial,
            firmware=info.firmware,
            details={
                "pen_range": f"{info.max_x}x{info.max_y}",
                "max_pressure": str(info.max_pressure),
                "rate_hz": str(info.rate_hz),
                "lpi": str(info.lpi),
                "screen": f"{info.screen_width}x{info.screen_height}",
                "port": self.source.target,
            },
        )

    def _close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.stop()
        port, self._port = self._port, None
        if port is not None:
            # The port may already be gone; closing it is all that is wanted here.
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()
        self._pending.fail_all(DeviceGone("the signature pad was closed", device=self.name))
        self._streaming = False

    def ping(self) -> None:
        self._command(FrameType.PING)

    # -- SignaturePad --------------------------------------------------------------------------------

    @property
    def pad_info(self) -> PadInfo:
        pad = self._pad
        if pad is None or not self.is_open:
            raise DeviceGone("the signature pad is not open", device=self.name)
        return pad

    def start(self) -> None:
        self._inbox.discard_stale()
        self._streaming = True
        try:
            self._command(FrameType.START)
        except DeviceError:
            self._streaming = False
            raise

    def stop(self) -> None:
        self._streaming = False
        if self._lost is not None or self._port is None:
            return  # nothing streams on a dead link; stopping must not raise there
        self._command(FrameType.STOP)

    def clear(self) -> None:
        self._command(FrameType.CLEAR)

    def show_image(self, image: NDArray[np.uint8]) -> None:
        pad = self.pad_info
        expected = (pad.screen_height, pad.screen_width)
        if image.dtype != np.uint8 or image.shape != expected:
            raise ValueError(
                f"the pad's screen takes an 8-bit grey image of {expected[1]}x{expected[0]} px, "
                f"got {image.dtype} {image.shape}"
            )
        data = np.ascontiguousarray(image).tobytes()
        self._command(FrameType.IMAGE_BEGIN, build_image_begin(expected[1], expected[0], len(data)))
        for offset in range(0, len(data), IMAGE_CHUNK):
            chunk = data[offset : offset + IMAGE_CHUNK]
            self._command(FrameType.IMAGE_DATA, build_image_data(offset, chunk))
        self._command(FrameType.IMAGE_END, build_image_end(zlib.crc32(data)))

    def read_event(self, timeout: float) -> PadEvent | None:
        if not self.is_open:
            raise DeviceGone("the signature pad is not open", device=self.name)
        return self._inbox.read(timeout)

    # -- commands ------------------------------------------------------------------------------------

    def _command(self, command: FrameType, payload: bytes = b"") -> None:
        reply = self._request(command, payload, FrameType.ACK)
        acked = parse_ack(reply.payload)
        if acked != command:
            raise ProtocolError(
                f"the pad acknowledged command 0x{acked:02x} for {command.name}", device=self.name
            )

    def _request(self, command: FrameType, payload: bytes, expect: FrameType) -> Frame:
        """One command and its reply. Every command of the protocol is idempotent (image chunks carry
        their offset), so a reply lost on the line (a corrupt frame is dropped by the decoder) is
        recovered by sending the command again under a new sequence number.
        """
        for attempt in range(self._retries + 1):
            try:
                return self._request_once(command, payload, expect)
            except DeviceTimeout:
                if attempt == self._retries or self._lost is not None:
                    raise
                self.stats.retried_commands += 1
        raise AssertionError("unreachable")  # pragma: no cover

    def _request_once(self, command: FrameType, payload: bytes, expect: FrameType) -> Frame:
        if self._lost is not None:
            raise self._lost
        slot = self._pending.take(command)
        try:
            self._write(encode_frame(command, slot.seq, payload))
            if not slot.done.wait(self._reply_timeout):
                raise DeviceTimeout(
                    f"the signature pad did not answer {command.name} within "
                    f"{self._reply_timeout:.1f} s; check its cable, or power-cycle it",
                    device=self.name,
                )
        finally:
            self._pending.release(slot)
        if slot.error is not None:
            raise slot.error
        reply = slot.reply
        assert reply is not None
        if reply.type == FrameType.NAK:
            nak = parse_nak(reply.payload)
            message = f"the signature pad refused {command.name}: {nak.text}"
            if nak.code in _PROTOCOL_NAKS or nak.code not in NakCode.__members__.values():
                raise ProtocolError(message, device=self.name)
            if nak.code == NakCode.BUSY:
                raise DeviceBusy(message, device=self.name)
            raise DeviceFault(message, device=self.name)
        if reply.type != expect:
            raise ProtocolError(
                f"the pad answered {command.name} with {FrameType(reply.type).name}, "
                f"expected {expect.name}",
                device=self.name,
            )
        return reply

    def _write(self, data: bytes) -> None:
        port = self._port
        if port is None:
            raise DeviceGone("the signature pad is not open", device=self.name)
        try:
            with self._write_lock:
                port.write(data)
        except serial.SerialTimeoutException as exc:
            raise DeviceTimeout(
                "the signature pad does not take data (write timed out); check its cable",
                device=self.name,
            ) from exc
        except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
            # pyserial raises TypeError/AttributeError when a concurrent close removed the handle.
            raise DeviceGone(
                f"the signature pad's link failed while sending: {exc}", device=self.name
            ) from exc

    def _lose(self, error: DeviceError) -> None:
        self._lost = error
        self._streaming = False
        self._pending.fail_all(error)
        self._inbox.put(error)
        self._link_lost(error)

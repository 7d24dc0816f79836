"""The `framed:` signature pad driver: the framed serial protocol (docs/protocols/signpad.md) over pyserial.

    framed:/dev/kitd-signpad                 a serial port (opened exclusively)
    framed:socket://127.0.0.1:7001           any pyserial URL
    options: ?reply_ms=1000&retries=2&silence_ms=2500&baud=115200&vendor=...

One reader thread per opening decodes frames, skips damaged ones, routes replies (ACK, NAK, INFO) to the
waiting command by sequence number and queues pen samples and button presses. It never writes to the
pad and never decides policy: when the link dies (EOF, I/O error, 2.5 s without a frame) it reports
DeviceGone once through `_link_lost` and stops; the supervisor closes and reopens the driver.
No pyserial or OS exception ever leaves this module: they become the typed errors of hal.errors.
"""

from __future__ import annotations

import contextlib
import errno
import queue
import threading
import time
import zlib
from dataclasses import dataclass, field

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
    ButtonId,
    ButtonPress,
    PadEvent,
    PadInfo,
    PenFlags,
    PenSample,
    SignaturePad,
)
from hal.signpad.framing import Frame, FrameDecoder, encode_frame
from hal.signpad.protocol import (
    IMAGE_CHUNK,
    ClockUnwrapper,
    FrameType,
    NakCode,
    build_image_begin,
    build_image_data,
    build_image_end,
    parse_ack,
    parse_button,
    parse_info,
    parse_nak,
    parse_pen,
)
from hal.source import Source

# How long the reader waits for a first byte before it checks the heartbeat and its stop flag.
_READ_SLICE_S = 0.1
_REPLY_TYPES = frozenset({FrameType.ACK, FrameType.NAK, FrameType.INFO})
_UNSOLICITED = frozenset({FrameType.PEN, FrameType.BUTTON, FrameType.HEARTBEAT})
# Refusals that mean "driver and firmware disagree"; the others are the pad's own trouble.
_PROTOCOL_NAKS = frozenset({NakCode.UNKNOWN_TYPE, NakCode.BAD_LENGTH})


@dataclass
class _Pending:
    command: FrameType
    done: threading.Event = field(default_factory=threading.Event)
    reply: Frame | None = None
    error: DeviceError | None = None


@dataclass
class LinkStats:
    """Counters of one opening, for the self-test and the logs."""

    frames: int = 0
    bad_frames: int = 0
    # Unsolicited frames the pad sent that never arrived (gaps in its counter).
    lost_frames: int = 0
    # Commands sent again because their reply was lost.
    retried_commands: int = 0


class FramedSignaturePad(SignaturePad):
    def __init__(self, source: Source, *, name: str = "") -> None:
        super().__init__(source, name=name)
        self._reply_timeout = source.int_option("reply_ms", 1000) / 1000.0
        self._retries = max(0, source.int_option("retries", 2))
        self._silence = source.int_option("silence_ms", 2500) / 1000.0
        self._baud = source.int_option("baud", 115200)
        self._port: serial.Serial | None = None
        self._reader: threading.Thread | None = None
        self._stop_reader = threading.Event()
        self._write_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._seq = 0
        self._events: queue.Queue[PadEvent | DeviceError] = queue.Queue()
        self._held: PadEvent | DeviceError | None = None
        self._pad: PadInfo | None = None
        self._lost: DeviceError | None = None
        self._streaming = False
        self.stats = LinkStats()

    # -- Device --------------------------------------------------------------------------------------

    def _open(self) -> DeviceInfo:
        self._lost = None
        self._held = None
        self._events = queue.Queue()
        self._streaming = False
        self.stats = LinkStats()
        port = self._open_port()
        self._port = port
        self._stop_reader.clear()
        self._reader = threading.Thread(
            target=self._read_loop, args=(port,), name=f"signpad-reader {self.name}", daemon=True
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
        self._stop_reader.set()
        reader, self._reader = self._reader, None
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=2.0)
        port, self._port = self._port, None
        if port is not None:
            # The port may already be gone; closing it is all that is wanted here.
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()
        self._fail_pending(DeviceGone("the signature pad was closed", device=self.name))
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
        self._discard_stale_events()
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
        first = self._next_event(timeout)
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
            more = self._next_event(0.0)
            if more is None:
                break
            if isinstance(more, list):
                batch.extend(more)
            else:
                self._held = more
                break
        return batch

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
        recovered by sending the command again under a new sequence number."""
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
        with self._pending_lock:
            self._seq = self._seq % 255 + 1
            seq = self._seq
            slot = _Pending(command)
            self._pending[seq] = slot
        try:
            self._write(encode_frame(command, seq, payload))
            if not slot.done.wait(self._reply_timeout):
                raise DeviceTimeout(
                    f"the signature pad did not answer {command.name} within "
                    f"{self._reply_timeout:.1f} s; check its cable, or power-cycle it",
                    device=self.name,
                )
        finally:
            with self._pending_lock:
                self._pending.pop(seq, None)
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

    # -- opening the port ----------------------------------------------------------------------------

    def _open_port(self) -> serial.Serial:
        target = self.source.target
        try:
            port = serial.serial_for_url(
                target,
                baudrate=self._baud,
                timeout=_READ_SLICE_S,
                write_timeout=2.0,
                exclusive=True,
                do_not_open=True,
            )
            port.open()
        except serial.SerialException as exc:
            text = str(exc)
            if "exclusively lock" in text:
                raise DeviceBusy(
                    f"{target} is held by another program; stop it (e.g. a second kitd) and retry",
                    device=self.name,
                ) from exc
            hint = (
                "is the pad plugged in and the udev rule installed?"
                if getattr(exc, "errno", None) in (errno.ENOENT, errno.ENXIO, errno.ENODEV)
                or "://" not in target
                else "is the pad (or its simulator) listening?"
            )
            raise DeviceGone(f"cannot open {target}: {text}; {hint}", device=self.name) from exc
        except (OSError, ValueError) as exc:
            raise DeviceGone(f"cannot open {target}: {exc}", device=self.name) from exc
        try:
            port.reset_input_buffer()
        except (serial.SerialException, OSError) as exc:
            port.close()
            raise DeviceGone(
                f"{target} failed right after opening: {exc}", device=self.name
            ) from exc
        return port

    # -- the reader thread ---------------------------------------------------------------------------

    def _read_loop(self, port: serial.Serial) -> None:
        decoder = FrameDecoder()
        clock = ClockUnwrapper()
        last_frame = time.monotonic()
        last_pad_seq: int | None = None
        gap = False
        while not self._stop_reader.is_set():
            try:
                # One byte with a timeout, then whatever else is already there: low latency for
                # replies without spinning when the pad is quiet.
                data = port.read(1)
                waiting = port.in_waiting if data else 0
                if waiting:
                    data += port.read(waiting)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                if not self._stop_reader.is_set():
                    self._lose(
                        DeviceGone(
                            f"the signature pad's link closed ({exc}); was it unplugged?",
                            device=self.name,
                        )
                    )
                return
            now = time.monotonic()
            frames = decoder.feed(data) if data else []
            self.stats.bad_frames = decoder.bad_frames
            if frames:
                last_frame = now
            elif now - last_frame > self._silence:
                self._lose(
                    DeviceGone(
                        f"no frame from the signature pad for {self._silence:.1f} s (heartbeat "
                        "missing): the pad hangs or its link is dead; check the cable, power-cycle it",
                        device=self.name,
                    )
                )
                return
            for frame in frames:
                self.stats.frames += 1
                if frame.type in _REPLY_TYPES:
                    self._route_reply(frame)
                    continue
                if frame.type not in _UNSOLICITED:
                    continue  # newer firmware may send frames this driver does not know
                if last_pad_seq is not None:
                    missing = (frame.seq - last_pad_seq - 1) & 0xFF
                    if missing:
                        self.stats.lost_frames += missing
                        gap = gap or self._streaming
                last_pad_seq = frame.seq
                try:
                    gap = self._handle_unsolicited(frame, clock, gap)
                except ProtocolError:
                    # A CRC-valid frame with an impossible layout: treat it like a damaged one.
                    self.stats.bad_frames += 1

    def _handle_unsolicited(self, frame: Frame, clock: ClockUnwrapper, gap: bool) -> bool:
        if frame.type == FrameType.PEN:
            raw = parse_pen(frame.payload)
            if not self._streaming:
                return False  # stale samples from before STOP
            batch: list[PenSample] = []
            for sample in raw:
                flags = PenFlags(sample.flags & 0x0F)
                if gap:
                    flags |= PenFlags.SAMPLES_DROPPED
                    gap = False
                batch.append(
                    PenSample(
                        clock.unwrap(sample.time_us), sample.x, sample.y, sample.pressure, flags
                    )
                )
            self._events.put(batch)
            return gap
        if frame.type == FrameType.BUTTON:
            button, _ = parse_button(frame.payload)
            if button in ButtonId.__members__.values():
                self._events.put(ButtonPress(ButtonId(button)))
        return gap

    def _route_reply(self, frame: Frame) -> None:
        with self._pending_lock:
            slot = self._pending.get(frame.seq)
        if slot is None or slot.done.is_set():
            return  # a reply that came after its command timed out
        slot.reply = frame
        slot.done.set()

    def _lose(self, error: DeviceError) -> None:
        self._lost = error
        self._streaming = False
        self._fail_pending(error)
        self._events.put(error)
        self._link_lost(error)

    def _fail_pending(self, error: DeviceError) -> None:
        with self._pending_lock:
            slots = list(self._pending.values())
        for slot in slots:
            if not slot.done.is_set():
                slot.error = error
                slot.done.set()

    # -- event queue ---------------------------------------------------------------------------------

    def _next_event(self, timeout: float) -> PadEvent | DeviceError | None:
        held, self._held = self._held, None
        if held is not None:
            return held
        try:
            if timeout <= 0:
                return self._events.get_nowait()
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None

    def _discard_stale_events(self) -> None:
        kept: list[DeviceError] = []
        if isinstance(self._held, DeviceError):
            kept.append(self._held)
        self._held = None
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, DeviceError):
                kept.append(event)
        for error in kept:
            self._events.put(error)

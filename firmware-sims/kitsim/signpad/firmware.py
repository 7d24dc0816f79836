"""The simulated pad's firmware: answers the host's commands, streams pen samples, sends heartbeats.

Three threads, as on the real pad's MCU: `rx` decodes the host's frames and queues replies (it never
writes to the link itself, so a host that does not read can never stall command handling), `tx` owns
the link's write side and applies the injected faults, `clock` plays signatures at the sample rate on
the device's own 32-bit microsecond clock and sends the heartbeat.
"""

from __future__ import annotations

import collections
import os
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from kitsim.signpad import wire
from kitsim.signpad.link import Link
from kitsim.signpad.strokes import PadGeometry, PlannedSample

PING, GET_INFO, START, STOP, CLEAR, IMAGE_BEGIN, IMAGE_DATA, IMAGE_END = range(1, 9)
ACK, NAK, INFO, PEN, BUTTON, HEARTBEAT = range(0x80, 0x86)
NAK_UNKNOWN_TYPE, NAK_BAD_LENGTH, NAK_BAD_STATE, NAK_BAD_IMAGE, NAK_IMAGE_ORDER, NAK_IMAGE_CRC = (
    range(1, 7)
)
SAMPLES_DROPPED = 0x08
FRAME_NAMES = {"pen": PEN, "heartbeat": HEARTBEAT, "button": BUTTON, "ack": ACK, "info": INFO}
HEARTBEAT_PERIOD_S = 1.0
PEN_FIFO = 1024
MAX_SAMPLES_PER_FRAME = 64


@dataclass(frozen=True)
class PadIdentity:
    """The simulated pad's identity, resolution and screen size."""

    model: str = "KitPad SP-480"
    serial: str = "SP480-000117"
    firmware: str = "2.4.1"
    lpi: int = 2540
    screen_width: int = 480
    screen_height: int = 200


@dataclass
class Faults:
    """The faults armed in the simulated pad: dropped, corrupted, truncated and noisy frames."""

    drop: int = 0
    corrupt: int = 0
    # Frames sent a byte short with a CRC that holds: a layout no parser accepts (a firmware bug).
    truncate: int = 0
    only: int | None = None  # frame type the drop/corrupt/truncate faults apply to; None = any
    noise: int = 0
    delay_frames: int = 0
    delay_s: float = 0.0
    overflow: int = 0
    heartbeat_stopped_until: float = 0.0  # monotonic; inf = until replug
    slow_until: float = 0.0
    slow_bytes_per_s: float = 0.0


@dataclass
class Playback:
    """A stroke script the simulated pad is playing."""

    samples: list[PlannedSample]
    press_ok: bool
    done: threading.Event = field(default_factory=threading.Event)
    next_index: int = 0
    start_us: int | None = None


class PadFirmware:
    """The simulated pad's firmware: answers framed commands, sends pen samples and heartbeats."""

    def __init__(
        self,
        link: Link,
        geometry: PadGeometry,
        identity: PadIdentity,
        clock_start_us: int,
        wrap_after_start_us: int | None = None,
    ) -> None:
        self.link = link
        self.geometry = geometry
        self.identity = identity
        self._t0 = time.monotonic_ns()
        self._clock_start = clock_start_us
        # Test knob: on the first START, set the clock so that it wraps this long afterwards.
        self._wrap_after_start_us = wrap_after_start_us
        self._cond = threading.Condition()
        self._replies: collections.deque[tuple[int, int | None, bytes]] = collections.deque()
        self._pen: collections.deque[tuple[int, int, int, int, int]] = collections.deque()
        self._counter = 0
        self._last_sent = time.monotonic()
        self._running = True
        self.faults = Faults()
        self.streaming = False
        self.clears = 0
        self.screen_crc32: int | None = None
        self.frames_in = 0
        self.frames_out = 0
        self._deframer = wire.Deframer()
        self._upload: bytearray | None = None
        self._upload_length = 0
        self._playbacks: collections.deque[Playback] = collections.deque()
        self._pending_dropped = False
        self._wake = threading.Event()
        self._threads = [
            threading.Thread(target=self._rx_loop, name="signpad-rx", daemon=True),
            threading.Thread(target=self._tx_loop, name="signpad-tx", daemon=True),
            threading.Thread(target=self._clock_loop, name="signpad-clock", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # -- control (called from the simulator's threads) -----------------------------------------------

    def now_us(self) -> int:
        return self._clock_start + (time.monotonic_ns() - self._t0) // 1000

    def sign(self, samples: list[PlannedSample], *, press_ok: bool) -> Playback:
        playback = Playback(samples, press_ok=press_ok)
        with self._cond:
            self._playbacks.append(playback)
        self._wake.set()
        return playback

    def press(self, button: int) -> None:
        self._send_unsolicited(BUTTON, struct.pack("<BI", button, self.now_us() & 0xFFFFFFFF))

    def halt(self) -> None:
        """Power off: threads end; pending signatures are abandoned."""
        with self._cond:
            self._running = False
            self._cond.notify_all()
            playbacks = list(self._playbacks)
            self._playbacks.clear()
        self._wake.set()
        for playback in playbacks:
            playback.done.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=2.0)

    def status(self) -> dict[str, Any]:
        with self._cond:
            pending = len(self._playbacks)
        return {
            "streaming": self.streaming,
            "clears": self.clears,
            "screen_crc32": self.screen_crc32,
            "frames_in": self.frames_in,
            "bad_frames_in": self._deframer.bad,
            "frames_out": self.frames_out,
            "pending_signatures": pending,
        }

    # -- host commands -------------------------------------------------------------------------------

    def _rx_loop(self) -> None:
        while self._running:
            data = self.link.read(0.05)
            for frame_type, seq, payload in self._deframer.feed(data):
                self.frames_in += 1
                self._handle(frame_type, seq, payload)

    def _handle(self, frame_type: int, seq: int, payload: bytes) -> None:
        if frame_type in (PING, GET_INFO, START, STOP, CLEAR) and payload:
            self._nak(frame_type, seq, NAK_BAD_LENGTH)
        elif frame_type == PING:
            self._ack(frame_type, seq)
        elif frame_type == GET_INFO:
            self._reply(INFO, seq, self._info_payload())
        elif frame_type == START:
            if self._wrap_after_start_us is not None:
                self._clock_start += (
                    (1 << 32) - self._wrap_after_start_us - (self.now_us() % (1 << 32))
                )
                self._wrap_after_start_us = None
            self.streaming = True
            self._wake.set()
            self._ack(frame_type, seq)
        elif frame_type == STOP:
            self._stop_stream()
            self._ack(frame_type, seq)
        elif frame_type == CLEAR:
            self.clears += 1
            self._ack(frame_type, seq)
        elif frame_type in (IMAGE_BEGIN, IMAGE_DATA, IMAGE_END):
            code = self._image(frame_type, payload)
            if code:
                self._nak(frame_type, seq, code)
            else:
                self._ack(frame_type, seq)
        else:
            self._nak(frame_type, seq, NAK_UNKNOWN_TYPE)

    def _image(self, frame_type: int, payload: bytes) -> int:
        if frame_type == IMAGE_BEGIN:
            if len(payload) != 9:
                return NAK_BAD_LENGTH
            width, height, fmt, length = struct.unpack("<HHBI", payload)
            screen = (self.identity.screen_width, self.identity.screen_height)
            if (width, height) != screen or fmt != 1 or length != width * height:
                return NAK_BAD_IMAGE
            self._upload, self._upload_length = bytearray(), length
            return 0
        if self._upload is None:
            return NAK_BAD_STATE
        if frame_type == IMAGE_DATA:
            if len(payload) < 5:
                return NAK_BAD_LENGTH
            (offset,) = struct.unpack_from("<I", payload)
            if offset != len(self._upload) or offset + len(payload) - 4 > self._upload_length:
                return NAK_IMAGE_ORDER
            self._upload += payload[4:]
            return 0
        if len(payload) != 4:
            return NAK_BAD_LENGTH
        (crc,) = struct.unpack("<I", payload)
        upload, self._upload = self._upload, None
        if len(upload) != self._upload_length or zlib.crc32(upload) != crc:
            return NAK_IMAGE_CRC
        self.screen_crc32 = crc
        return 0

    def _info_payload(self) -> bytes:
        g, i = self.geometry, self.identity
        out = struct.pack(
            "<HHHHHHH",
            g.max_x,
            g.max_y,
            g.max_pressure,
            g.rate_hz,
            i.lpi,
            i.screen_width,
            i.screen_height,
        )
        for text in (i.model, i.serial, i.firmware):
            data = text.encode()
            out += bytes((len(data),)) + data
        return out

    def _stop_stream(self) -> None:
        with self._cond:
            self.streaming = False
            self._pen.clear()
            playbacks = list(self._playbacks)
            self._playbacks.clear()
        for playback in playbacks:
            playback.done.set()

    def _ack(self, command: int, seq: int) -> None:
        self._reply(ACK, seq, bytes((command,)))

    def _nak(self, command: int, seq: int, code: int) -> None:
        self._reply(NAK, seq, bytes((command, code)))

    def _reply(self, frame_type: int, seq: int, payload: bytes) -> None:
        with self._cond:
            self._replies.append((frame_type, seq, payload))
            self._cond.notify_all()

    def _send_unsolicited(self, frame_type: int, payload: bytes) -> None:
        with self._cond:
            self._replies.append((frame_type, None, payload))
            self._cond.notify_all()

    # -- the link's write side -----------------------------------------------------------------------

    def _tx_loop(self) -> None:
        while True:
            with self._cond:
                while self._running and not self._replies and not self._pen:
                    self._cond.wait(0.1)
                if not self._running:
                    return
                if self._replies:
                    frame_type, seq, payload = self._replies.popleft()
                else:
                    frame_type, seq = PEN, None
                    count = min(len(self._pen), MAX_SAMPLES_PER_FRAME)
                    samples = [self._pen.popleft() for _ in range(count)]
                    payload = b"".join(struct.pack("<IHHHB", *s) for s in samples)
                if seq is None:
                    seq = self._counter
                    self._counter = (self._counter + 1) & 0xFF
            self._transmit(frame_type, seq, payload)

    def _transmit(self, frame_type: int, seq: int, payload: bytes) -> None:
        faults = self.faults
        self._last_sent = time.monotonic()
        self.frames_out += 1
        applies = faults.only is None or faults.only == frame_type
        if faults.delay_frames > 0:
            faults.delay_frames -= 1
            time.sleep(faults.delay_s)
        if applies and faults.drop > 0:
            faults.drop -= 1
            return
        truncate = applies and faults.truncate > 0 and bool(payload)
        if truncate:
            faults.truncate -= 1
            payload = payload[:-1]
        # One fault a frame: a truncated frame reaches the host whole, a corruption waits for the next.
        corrupt = applies and faults.corrupt > 0 and not truncate
        if corrupt:
            faults.corrupt -= 1
        data = wire.encode(frame_type, seq, payload, corrupt=corrupt)
        if faults.noise > 0:
            # Line noise, then a delimiter: the next frame must still arrive intact.
            data = os.urandom(faults.noise) + b"\x00" + data
            faults.noise = 0
        if time.monotonic() < faults.slow_until and faults.slow_bytes_per_s > 0:
            for index in range(len(data)):
                self.link.write(data[index : index + 1])
                time.sleep(1.0 / faults.slow_bytes_per_s)
            return
        self.link.write(data)

    # -- the pad's clock: pen samples and heartbeat --------------------------------------------------

    def _clock_loop(self) -> None:
        period_us = 1_000_000 // self.geometry.rate_hz
        while self._running:
            now_mono = time.monotonic()
            if (
                now_mono - self._last_sent >= HEARTBEAT_PERIOD_S
                and now_mono >= self.faults.heartbeat_stopped_until
            ):
                self._last_sent = now_mono
                state = 1 if self.streaming else 0
                self._send_unsolicited(
                    HEARTBEAT, struct.pack("<IB", self.now_us() & 0xFFFFFFFF, state)
                )
            wait = self._play(period_us)
            self._wake.wait(wait)
            self._wake.clear()

    def _due_samples(
        self, playback: Playback, start_us: int, now: int
    ) -> list[tuple[int, int, int, int, int]]:
        """Takes the playback's samples due by `now` as the pad reports them: time, x, y, pressure,
        flags; a sample lost to an armed FIFO overflow is left out and the next one flags the loss.
        """
        due: list[tuple[int, int, int, int, int]] = []
        while playback.next_index < len(playback.samples):
            sample = playback.samples[playback.next_index]
            at = start_us + sample.offset_us
            if at > now:
                break
            playback.next_index += 1
            if self.faults.overflow > 0:
                # The pad's FIFO overflowed: this sample is lost and the next one says so.
                self.faults.overflow -= 1
                self._pending_dropped = True
                continue
            flags = sample.flags
            if self._pending_dropped:
                flags |= SAMPLES_DROPPED
                self._pending_dropped = False
            due.append((at & 0xFFFFFFFF, sample.x, sample.y, sample.pressure, flags))
        return due

    def _queue_pen(self, due: list[tuple[int, int, int, int, int]]) -> None:
        """Puts samples in the pen FIFO for the sender; a full FIFO loses its oldest sample."""
        for item in due:
            if len(self._pen) >= PEN_FIFO:
                self._pen.popleft()
                self._pending_dropped = True
            self._pen.append(item)
        if due:
            self._cond.notify_all()

    def _play(self, period_us: int) -> float:
        """Emits the samples that are due; returns how long to sleep."""
        with self._cond:
            playback = self._playbacks[0] if self._playbacks else None
            if playback is None or not self.streaming:
                return 0.1
            now = self.now_us()
            if playback.start_us is None:
                playback.start_us = now
            self._queue_pen(self._due_samples(playback, playback.start_us, now))
            if playback.next_index < len(playback.samples):
                next_at = playback.start_us + playback.samples[playback.next_index].offset_us
                return max(0.0, (next_at - self.now_us()) / 1e6)
            self._playbacks.popleft()
        if playback.press_ok:
            # The citizen lifts the pen, then taps OK.
            time.sleep(0.1)
            self.press(1)
        playback.done.set()
        return 0.0

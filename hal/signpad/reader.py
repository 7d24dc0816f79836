"""The reader thread of one opening of a framed signature pad.

It decodes frames, skips damaged ones, hands replies (ACK, NAK, INFO) to the waiting command and
queues pen samples and button presses. It never writes to the pad and never decides policy: when the
link dies (EOF, I/O error, no frame for the silence limit, the pad's heartbeat included) it reports
DeviceGone once through `on_lost` and ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import serial

from hal.errors import DeviceError, DeviceGone, ProtocolError
from hal.signpad.base import ButtonId, ButtonPress, PenFlags, PenSample
from hal.signpad.framing import Frame, FrameDecoder
from hal.signpad.inbox import PadInbox
from hal.signpad.protocol import ClockUnwrapper, FrameType, parse_button, parse_pen
from hal.signpad.replies import PendingReplies

_REPLY_TYPES = frozenset({FrameType.ACK, FrameType.NAK, FrameType.INFO})
_UNSOLICITED = frozenset({FrameType.PEN, FrameType.BUTTON, FrameType.HEARTBEAT})


@dataclass
class LinkStats:
    """Counters of one opening, for the self-test and the logs."""

    frames: int = 0
    bad_frames: int = 0
    # Unsolicited frames the pad sent that never arrived (gaps in its counter).
    lost_frames: int = 0
    # Commands sent again because their reply was lost.
    retried_commands: int = 0


@dataclass
class _PadStream:
    """What the reader follows across the pad's unsolicited frames: the pad's clock, its frame
    counter, and whether a lost frame is still to be marked on the next pen sample.
    """

    clock: ClockUnwrapper = field(default_factory=ClockUnwrapper)
    last_seq: int | None = None
    gap: bool = False


class FrameReader:
    """Reads one port until it is stopped or the link dies; see the module docstring."""

    def __init__(
        self,
        port: serial.Serial,
        *,
        device: str,
        silence_s: float,
        replies: PendingReplies,
        events: PadInbox,
        streaming: Callable[[], bool],
        on_lost: Callable[[DeviceError], None],
        stats: LinkStats,
    ) -> None:
        self._port = port
        self._device = device
        self._silence = silence_s
        self._replies = replies
        self._events = events
        self._streaming = streaming
        self._on_lost = on_lost
        self._stats = stats
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"signpad-reader {device}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stops reading; waits for the thread unless called from it (a loss handled on it)."""
        self._stop.set()
        if self._thread is not threading.current_thread() and self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        decoder = FrameDecoder()
        stream = _PadStream()
        last_frame = time.monotonic()
        while not self._stop.is_set():
            try:
                data = self._read()
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                if not self._stop.is_set():
                    self._on_lost(
                        DeviceGone(
                            f"the signature pad's link closed ({exc}); was it unplugged?",
                            device=self._device,
                        )
                    )
                return
            now = time.monotonic()
            damaged_before = decoder.bad_frames
            frames = decoder.feed(data) if data else []
            # Added, not copied: frames with an impossible layout are counted here too (_on_frame).
            self._stats.bad_frames += decoder.bad_frames - damaged_before
            if frames:
                last_frame = now
            elif now - last_frame > self._silence:
                self._on_lost(
                    DeviceGone(
                        f"no frame from the signature pad for {self._silence:.1f} s (heartbeat "
                        "missing): the pad hangs or its link is dead; check the cable, power-cycle it",
                        device=self._device,
                    )
                )
                return
            for frame in frames:
                self._on_frame(frame, stream)

    def _read(self) -> bytes:
        """What the port has: one byte with a timeout, then whatever else is already there (low
        latency for replies without spinning when the pad is quiet).
        """
        data: bytes = self._port.read(1)
        waiting = self._port.in_waiting if data else 0
        if waiting:
            data += self._port.read(waiting)
        return data

    def _on_frame(self, frame: Frame, stream: _PadStream) -> None:
        """Routes a reply to its command, and queues what an unsolicited frame carries."""
        self._stats.frames += 1
        if frame.type in _REPLY_TYPES:
            self._replies.route(frame)
            return
        if frame.type not in _UNSOLICITED:
            return  # newer firmware may send frames this driver does not know
        if stream.last_seq is not None:
            missing = (frame.seq - stream.last_seq - 1) & 0xFF
            if missing:
                self._stats.lost_frames += missing
                stream.gap = stream.gap or self._streaming()
        stream.last_seq = frame.seq
        try:
            stream.gap = self._handle_unsolicited(frame, stream.clock, gap=stream.gap)
        except ProtocolError:
            # A CRC-valid frame with an impossible layout: treat it like a damaged one, whose samples
            # are lost and whose gap the next sample carries.
            self._stats.bad_frames += 1
            if frame.type == FrameType.PEN:
                stream.gap = stream.gap or self._streaming()

    def _handle_unsolicited(self, frame: Frame, clock: ClockUnwrapper, *, gap: bool) -> bool:
        """Queues a pen batch or button press; returns whether a gap is still to be marked."""
        if frame.type == FrameType.PEN:
            raw = parse_pen(frame.payload)
            if not self._streaming():
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

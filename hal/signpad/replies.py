"""The commands waiting for the pad's reply, by sequence number.

A command takes a slot with a fresh sequence number; the reader thread hands each ACK, NAK or INFO to
the slot of its sequence number; a lost link fails every slot still waiting. Replies that come after
their command gave up are dropped. Nothing here reads or writes the port.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from hal.errors import DeviceError
from hal.signpad.framing import Frame
from hal.signpad.protocol import FrameType


@dataclass
class PendingReply:
    """One command waiting for its reply: set once, with the reply frame or the error."""

    command: FrameType
    seq: int
    done: threading.Event = field(default_factory=threading.Event)
    reply: Frame | None = None
    error: DeviceError | None = None


class PendingReplies:
    """The slots of the commands in flight, keyed by the sequence number they were sent under."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[int, PendingReply] = {}
        self._seq = 0

    def take(self, command: FrameType) -> PendingReply:
        """A slot under the next sequence number (1..255; 0 is the pad's own)."""
        with self._lock:
            self._seq = self._seq % 255 + 1
            slot = PendingReply(command, self._seq)
            self._slots[slot.seq] = slot
            return slot

    def release(self, slot: PendingReply) -> None:
        with self._lock:
            self._slots.pop(slot.seq, None)

    def route(self, frame: Frame) -> None:
        """Hands a reply to its command, unless that command already gave up."""
        with self._lock:
            slot = self._slots.get(frame.seq)
        if slot is None or slot.done.is_set():
            return  # a reply that came after its command timed out
        slot.reply = frame
        slot.done.set()

    def fail_all(self, error: DeviceError) -> None:
        with self._lock:
            slots = list(self._slots.values())
        for slot in slots:
            if not slot.done.is_set():
                slot.error = error
                slot.done.set()

"""What a finger exception does to the visit's finger steps, in its two scopes: one finger (the hand moves
on to its next fallback, or is settled when none is left) or every finger (each open step excepted)."""

from __future__ import annotations

from collections.abc import Callable

from kitd.audit.session_records import RecordSink
from kitd.errors import InvalidArgument, StepNotAllowed
from kitd.locale.message import Message
from kitd.policy.model import ExceptionKind, FingerPolicy, finger_label, finger_of
from kitd.session.model import Step, StepState
from kitd.session.plan import SETTLED, hand_label
from kitd.session.settling import advance_finger


def except_every_finger(finger_steps: list[Step], settled: Callable[[Step], bool]) -> None:
    """Amputated or unable on both hands: every step still open (or used up) is excepted."""
    for step in finger_steps:
        if not settled(step) or step.state is StepState.EXHAUSTED:
            step.state = StepState.EXCEPTED


def except_one_finger(
    finger: int,
    kind: ExceptionKind,
    finger_steps: list[Step],
    fingers: FingerPolicy,
    record: RecordSink,
) -> None:
    """One finger cannot be taken: its hand's step asks the next fallback finger, or drops it from the
    fingers still to come; a hand with none left keeps its best print (exhausted) or is excepted."""
    if finger == 0:
        raise InvalidArgument(Message.of("error.exception_needs_finger", kind=kind.value))
    hand, _ = finger_of(finger)
    hand_step = next((s for s in finger_steps if s.hand is hand), None)
    if hand_step is None or hand_step.state in SETTLED:
        raise StepNotAllowed(Message.of("error.no_open_hand_step", hand=hand_label(hand)))
    if finger not in hand_step.candidates[hand_step.current :]:
        raise StepNotAllowed(
            Message.of("error.finger_not_still_asked", finger=finger_label(finger))
        )
    if finger != hand_step.finger:
        hand_step.candidates.remove(finger)
    elif not advance_finger(hand_step, fingers, record):
        hand_step.state = StepState.EXHAUSTED if hand_step.kept is not None else StepState.EXCEPTED

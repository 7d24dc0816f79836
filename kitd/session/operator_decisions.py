"""The operator's decisions on a visit: finger exceptions, the signature waiver and overrides of failed
attempts — the rules each must meet (a reason the policy allows, a note for "other", a long enough
reason, never a delivery's fingerprint check), what each changes and what each reports.
"""

from __future__ import annotations

from collections.abc import Callable

from kitd.audit.session_records import RecordSink, SessionRecordKind
from kitd.errors import InvalidArgument, StepNotAllowed
from kitd.locale.message import Message
from kitd.policy.model import (
    ExceptionKind,
    ExceptionScope,
    Policy,
    WaiverReason,
    finger_label,
    finger_of,
)
from kitd.session.model import (
    VERIFY_STEP,
    Attempt,
    CaptureKind,
    FingerExceptionRecord,
    Override,
    Step,
    StepState,
    WaiverRecord,
)
from kitd.session.plan import FINISHED, hand_label


class OperatorDecisions:
    """A visit's exceptions, waiver and overrides; the session holds the lock and checks it is active."""

    def __init__(
        self,
        policy: Policy,
        steps: list[Step],
        *,
        settled: Callable[[Step], bool],
        clock: Callable[[], float],
        record: RecordSink,
    ) -> None:
        self._policy = policy
        self._steps = steps
        self._settled = settled
        self._clock = clock
        self._record = record
        self.exceptions: list[FingerExceptionRecord] = []
        self.waiver: WaiverRecord | None = None
        self.card_validity_months = 0

    def except_finger(
        self, finger: int, kind: ExceptionKind, reason: str, operator: str
    ) -> FingerExceptionRecord:
        rule = self._policy.fingers.exceptions.get(kind)
        if rule is None:
            raise StepNotAllowed(
                Message.of("error.exception_not_in_policy", policy=self._policy.id, kind=kind.value)
            )
        finger_steps = [s for s in self._steps if s.kind is CaptureKind.FINGER]
        if not finger_steps:
            raise StepNotAllowed(Message("error.no_fingerprints"))
        if not reason.strip():
            raise InvalidArgument(Message("error.exception_reason_required"))
        if rule.scope is ExceptionScope.ALL:
            self._except_every_finger(finger_steps)
        else:
            self._except_one_finger(finger, kind, finger_steps)
        record = FingerExceptionRecord(finger, kind, reason, operator, self._clock())
        self.card_validity_months = max(self.card_validity_months, rule.card_validity_months)
        self.exceptions.append(record)
        self._record(
            SessionRecordKind.FINGER_EXCEPTION,
            {
                "finger": finger,
                "kind": kind.value,
                "reason": reason,
                "operator_id": operator,
                "card_validity_months": self.card_validity_months,
            },
        )
        return record

    def _except_every_finger(self, finger_steps: list[Step]) -> None:
        """Amputated or unable on both hands: every step still open (or used up) is excepted."""
        for step in finger_steps:
            if not self._settled(step) or step.state is StepState.EXHAUSTED:
                step.state = StepState.EXCEPTED

    def _except_one_finger(
        self, finger: int, kind: ExceptionKind, finger_steps: list[Step]
    ) -> None:
        """One finger cannot be taken: its hand's step asks the next fallback finger, or drops it from
        the fingers still to come; a hand with none left keeps its best print (exhausted) or is
        excepted.
        """
        if finger == 0:
            raise InvalidArgument(Message.of("error.exception_needs_finger", kind=kind.value))
        hand, _ = finger_of(finger)
        hand_step = next((s for s in finger_steps if s.hand is hand), None)
        if hand_step is None or hand_step.state in FINISHED:
            raise StepNotAllowed(Message.of("error.no_open_hand_step", hand=hand_label(hand)))
        if finger not in hand_step.candidates[hand_step.current :]:
            raise StepNotAllowed(
                Message.of("error.finger_not_still_asked", finger=finger_label(finger))
            )
        if finger != hand_step.finger:
            hand_step.candidates.remove(finger)
        elif hand_step.next_finger(self._policy.fingers):
            self._record(
                SessionRecordKind.FINGER_FALLBACK,
                {"step": hand_step.step_id, "next_finger": hand_step.finger},
            )
        else:
            hand_step.state = (
                StepState.EXHAUSTED if hand_step.kept is not None else StepState.EXCEPTED
            )

    def waive_signature(self, step: Step, reason: WaiverReason, note: str, operator: str) -> None:
        allowed = self._policy.signature.waiver_reasons
        if reason not in allowed:
            names = ", ".join(r.value for r in allowed)
            raise InvalidArgument(
                Message.of("error.waiver_reason_not_allowed", reason=reason.value, allowed=names)
            )
        if reason is WaiverReason.OTHER and not note.strip():
            raise InvalidArgument(Message("error.waiver_note_required"))
        step.state = StepState.EXCEPTED
        if step.kept is not None:
            step.kept.kept = False
            step.kept = None
        self.waiver = WaiverRecord(reason, note, operator, self._clock())
        self._record(
            SessionRecordKind.SIGNATURE_WAIVER,
            {"reason": reason.value, "note": note, "operator_id": operator},
        )

    def override(
        self, attempt: Attempt, reason: str, operator: str, step_of: Callable[[str], Step]
    ) -> Attempt:
        """Accepts a failed attempt on the operator's word; `step_of` finds its step by id."""
        overrides = self._policy.overrides
        if attempt.kind.value not in overrides.allowed:
            raise StepNotAllowed(
                Message.of(
                    f"error.override_not_allowed.{attempt.kind.value}", policy=self._policy.id
                )
            )
        if attempt.accepted:
            raise StepNotAllowed(Message("error.override_passed"))
        if attempt.step_id == VERIFY_STEP:
            raise StepNotAllowed(Message("error.override_verification"))
        if len(reason.strip()) < overrides.reason_min_length:
            raise InvalidArgument(
                Message.of("error.override_reason_short", length=overrides.reason_min_length)
            )
        step = step_of(attempt.step_id)
        step.check_not_excepted()
        attempt.override = Override(operator, reason, self._clock())
        attempt.accepted = True
        step.keep(attempt)
        step.state = StepState.DONE
        self._record(
            SessionRecordKind.OVERRIDE,
            {
                "attempt_id": attempt.attempt_id,
                "capture": attempt.kind.value,
                "finger": attempt.finger,
                "reason": reason,
                "operator_id": operator,
            },
        )
        return attempt

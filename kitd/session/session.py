"""One visit, as a state machine driven by its document policy.

The session decides which capture comes next, what an attempt means (accepted, kept, fallback to the
next finger, exhausted), what exceptions, waivers and overrides do, and whether the visit may be
finalized. It knows nothing of devices or gRPC: the capture flows feed it results; tests drive it
directly. Prints are compared here (kitd.matching, on templates the capture flow extracted): with the
visit's other prints for the duplicate-finger check, with a delivery's reference for its verification. Every change is reported to `on_record(kind, fields)` for the audit log, and payloads
(images) never leave memory.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from kitd.audit.session_records import SessionRecordKind
from kitd.delivery.reference import DeliveryReference
from kitd.errors import (
    AttemptNotFound,
    InvalidArgument,
    PolicyViolation,
    SessionLost,
    StepNotAllowed,
)
from kitd.locale.message import Message
from kitd.matching.comparison import similarity
from kitd.matching.thresholds import threshold_for
from kitd.policy.model import (
    ExceptionKind,
    ExceptionScope,
    Policy,
    WaiverReason,
    finger_label,
    finger_of,
    finger_position,
    finger_title,
)
from kitd.quality.check import CheckResult
from kitd.session.model import (
    Attempt,
    CaptureKind,
    FingerExceptionRecord,
    FingerPayload,
    Languages,
    Override,
    Payload,
    Receipt,
    SessionState,
    Step,
    StepState,
    Verification,
    WaiverRecord,
)

RecordSink = Callable[[SessionRecordKind, dict[str, Any]], None]

_SETTLED = {StepState.DONE, StepState.EXCEPTED, StepState.SKIPPED}
# The check (and feedback code) of a print that matches a finger already taken in this visit.
DUPLICATE_FINGER = "duplicate_finger"
# The check (and feedback code) of a delivery print compared with its enrollment reference.
FINGER_MATCH = "finger_match"
# The step id of a delivery's fingerprint verification.
VERIFY_STEP = "verify-finger"


def _no_record(kind: SessionRecordKind, fields: dict[str, Any]) -> None:
    """Default sink: sessions built without an audit log (tests of the state machine alone)."""


class Session:
    def __init__(
        self,
        policy: Policy,
        applicant_age: int,
        operator_id: str,
        application_reference: str = "",
        display_name: str = "",
        *,
        session_id: str | None = None,
        clock: Callable[[], float] = time.time,
        on_record: RecordSink = _no_record,
        reference: DeliveryReference | None = None,
        languages: Languages | None = None,
    ) -> None:
        if not policy.applies_to(applicant_age):
            raise InvalidArgument(f"{policy.id} is not for age {applicant_age}")
        if policy.delivery.required and reference is None:
            raise InvalidArgument(
                f"{policy.title} verifies the citizen against the enrollment: it needs the "
                "reference download the back office sent for this card"
            )
        if reference is not None and not policy.delivery.required:
            raise InvalidArgument(f"{policy.title} takes no delivery reference")
        if not operator_id.strip():
            raise InvalidArgument(Message("error.operator_required"))
        self.session_id = session_id or str(uuid.uuid4())
        self.policy = policy
        self.applicant_age = applicant_age
        self.operator_id = operator_id
        self.application_reference = application_reference
        self.display_name = display_name
        self.languages = languages or Languages()
        self._clock = clock
        # Every record names the operator; a record may name another one (an override by a colleague).
        self._record: RecordSink = lambda kind, fields: on_record(
            kind, {"operator_id": self.operator_id, **fields}
        )
        self.lock = threading.RLock()
        self.state = SessionState.ACTIVE
        self.end_reason = ""
        self.created_at = clock()
        self.expires_at = self.created_at + policy.session_timeout_s
        self.finished_at: float | None = None
        self.attempts: list[Attempt] = []
        self.exceptions: list[FingerExceptionRecord] = []
        self.waiver: WaiverRecord | None = None
        self.card_validity_months = 0
        self.receipt: Receipt | None = None
        self.verification: Verification | None = None
        self._reference = reference
        if reference is not None:
            self.verification = Verification(
                reference.reference_id,
                reference.finger,
                threshold_for(policy.delivery.false_match_rate),
            )
        self.steps = self._plan()
        self._record(
            SessionRecordKind.SESSION_CREATED,
            {
                "policy_id": policy.id,
                "policy_version": policy.version,
                "applicant_age": applicant_age,
                "steps": [s.step_id for s in self.steps],
            },
        )

    # -- the plan ------------------------------------------------------------------------------------

    def _plan(self) -> list[Step]:
        policy, age = self.policy, self.applicant_age
        steps: list[Step] = []
        if self._reference is not None:
            # The identity check comes first: no photo or signature of receipt for someone else.
            finger = self._reference.finger
            verify = Step(
                VERIFY_STEP,
                CaptureKind.FINGER,
                "fingerprint check",
                policy.delivery.max_attempts,
                hand=finger_of(finger)[0],
                candidates=[finger],
                reference=self._reference.template,
            )
            verify.min_quality = policy.delivery.min_quality
            steps.append(verify)
        if policy.face.required:
            steps.append(Step("face", CaptureKind.FACE, "photo", policy.face.max_attempts))
        if policy.fingers_required(age):
            for hand in policy.fingers.hands:
                candidates = [finger_position(hand, f) for f in policy.fingers.order]
                step = Step(
                    f"finger-{hand.value}",
                    CaptureKind.FINGER,
                    f"{hand.value} hand",
                    policy.fingers.max_attempts,
                    hand=hand,
                    candidates=candidates,
                )
                step.min_quality = policy.fingers.threshold(step.finger)
                steps.append(step)
        if policy.signature_required(age):
            steps.append(
                Step("signature", CaptureKind.SIGNATURE, "signature", policy.signature.max_attempts)
            )
        return steps

    # -- queries -------------------------------------------------------------------------------------

    def settled(self, step: Step) -> bool:
        if step.state in _SETTLED:
            return True
        return (
            step.state is StepState.EXHAUSTED
            and step.kind is CaptureKind.FINGER
            and step.step_id != VERIFY_STEP
            and step.kept is not None
            and self.policy.fingers.accept_best_when_exhausted
        )

    @property
    def next_step(self) -> Step | None:
        return next((s for s in self.steps if not self.settled(s)), None)

    def missing(self) -> list[str]:
        return [s.step_id for s in self.steps if not self.settled(s)]

    def step_by_id(self, step_id: str) -> Step:
        for step in self.steps:
            if step.step_id == step_id:
                return step
        raise StepNotAllowed(f"this visit has no step {step_id!r}")

    def attempt(self, attempt_id: str) -> Attempt:
        for attempt in self.attempts:
            if attempt.attempt_id == attempt_id:
                return attempt
        raise AttemptNotFound(f"no attempt {attempt_id!r} in session {self.session_id}")

    def step_for(self, kind: CaptureKind, finger: int = 0) -> Step:
        """The step a capture of `kind` (and `finger`, 0 = the next one asked) would feed."""
        self._require_active()
        steps = [s for s in self.steps if s.kind is kind]
        if not steps:
            raise StepNotAllowed(
                f"{self.policy.title} for age {self.applicant_age} does not ask for a {kind.value}"
            )
        if kind is not CaptureKind.FINGER:
            return steps[0]
        open_steps = [s for s in steps if s.state not in _SETTLED | {StepState.EXHAUSTED}]
        if finger == 0:
            if not open_steps:
                raise StepNotAllowed("every fingerprint of this visit is already settled")
            return open_steps[0]
        hand, _ = finger_of(finger)
        for step in steps:
            if step.hand is hand:
                if step in open_steps and step.finger == finger:
                    return step
                asked = finger_title(step.finger) if step in open_steps else "nothing more"
                raise StepNotAllowed(
                    f"the policy asks for {asked} on the {hand.value} hand, not the "
                    f"{finger_title(finger)}",
                    expected_finger=str(step.finger),
                )
        raise StepNotAllowed(f"this visit takes no print of the {hand.value} hand")

    # -- capturing -----------------------------------------------------------------------------------

    def begin(self, step: Step) -> None:
        with self.lock:
            self._require_active()
            if step.state is StepState.PAUSED:
                raise StepNotAllowed(
                    f"the {step.title} step waits for its device to come back", step=step.step_id
                )
            if step.state in (StepState.EXCEPTED, StepState.SKIPPED):
                raise StepNotAllowed(f"the {step.title} step is {step.state.value}")
            if step.kind is CaptureKind.FINGER and step.state in (
                StepState.DONE,
                StepState.EXHAUSTED,
            ):
                raise StepNotAllowed(f"the {step.title} fingerprint is already settled")
            if step.attempts_used >= step.max_attempts:
                raise StepNotAllowed(
                    f"all {step.max_attempts} attempts of the {step.title} step are used; "
                    "override the best one or record an exception",
                    step=step.step_id,
                )
            step.state = StepState.IN_PROGRESS

    def abandon(self, step: Step) -> None:
        """The capture ended without a result (device error, cancelled): the attempt does not count."""
        with self.lock:
            if step.state is StepState.IN_PROGRESS:
                step.state = (
                    StepState.DONE if step.kept and step.kept.accepted else StepState.PENDING
                )

    def record_attempt(
        self,
        step: Step,
        payload: Payload,
        quality: int,
        checks: tuple[CheckResult, ...],
        feedback: tuple[str, ...] = (),
    ) -> Attempt:
        with self.lock:
            self._require_active()
            duplicate = None
            if step.kind is CaptureKind.FINGER and step.reference is not None:
                assert self.verification is not None
                self.verification.attempts += 1
                accepted = quality >= step.min_quality
                if accepted:
                    match = self._verify(step, payload)
                    checks = (*checks, match)
                    accepted = match.passed
                    if not accepted:
                        feedback = (*feedback, FINGER_MATCH)
            elif step.kind is CaptureKind.FINGER:
                accepted = quality >= step.min_quality
                duplicate = self._duplicate_check(step, payload) if accepted else None
                if duplicate is not None:
                    accepted = False
                    checks = (*checks, duplicate[0])
                    feedback = (*feedback, DUPLICATE_FINGER)
            else:
                accepted = all(c.passed for c in checks)
            attempt = Attempt(
                attempt_id=str(uuid.uuid4()),
                kind=step.kind,
                step_id=step.step_id,
                finger=step.finger,
                number=step.attempts_used + 1,
                time=self._clock(),
                quality=quality,
                checks=checks,
                accepted=accepted,
                payload=payload,
                feedback=feedback,
            )
            step.attempts.append(attempt)
            self.attempts.append(attempt)
            self._settle_after_attempt(step, attempt)
            fields: dict[str, Any] = {
                "attempt_id": attempt.attempt_id,
                "capture": step.kind.value,
                "finger": attempt.finger,
                "number": attempt.number,
                "quality": quality,
                "accepted": accepted,
                "failed_checks": [c.id for c in checks if not c.passed],
                "feedback": list(feedback),
                "step_state": step.state.value,
            }
            if duplicate is not None:
                check, matched = duplicate
                fields["duplicate_of"] = matched
                fields["match_score"] = check.value
                fields["match_threshold"] = check.threshold
            for check in checks:
                if check.id == FINGER_MATCH:
                    fields["match_score"] = check.value
                    fields["match_threshold"] = check.threshold
                    fields["matched"] = check.passed
            self._record(SessionRecordKind.ATTEMPT, fields)
            if step.reference is not None and step.state is StepState.EXHAUSTED:
                self._not_verified()
            return attempt

    def _verify(self, step: Step, payload: Payload) -> CheckResult:
        """The finger_match check of a delivery print against its reference."""
        verification = self.verification
        assert verification is not None and step.reference is not None
        template = payload.template if isinstance(payload, FingerPayload) else None
        score = similarity(template, step.reference) if template is not None else 0.0
        matched = score >= verification.threshold
        verification.score = max(verification.score, round(score, 2))
        verification.matched = verification.matched or matched
        return CheckResult(
            id=FINGER_MATCH,
            value=round(score, 2),
            threshold=verification.threshold,
            passed=matched,
            # 0..100 for the operator: half way at the threshold, certain at twice the threshold.
            quality=min(100, int(100 * score / (2 * verification.threshold))),
            guidance=None
            if matched
            else Message.of(self.policy.delivery.guidance, finger=finger_label(step.finger)),
        )

    def _not_verified(self) -> None:
        verification = self.verification
        assert verification is not None
        self._end(
            SessionState.NOT_VERIFIED,
            f"the {finger_title(verification.finger)} did not match the card's enrollment record "
            f"in {verification.attempts} attempts: the card cannot be handed over",
        )
        self._drop_payloads()

    def _duplicate_check(self, step: Step, payload: Payload) -> tuple[CheckResult, int] | None:
        """A failed duplicate_finger check and the finger it matched, or None when it matches none."""
        rule = self.policy.fingers.duplicate_check
        if not rule.enabled or not isinstance(payload, FingerPayload) or payload.template is None:
            return None
        threshold = threshold_for(rule.false_match_rate)
        best: tuple[float, int] = (0.0, 0)
        for other in self.steps:
            kept = other.kept
            if other is step or kept is None or not self.settled(other):
                continue
            kept_payload = kept.payload
            if not isinstance(kept_payload, FingerPayload) or kept_payload.template is None:
                continue
            score = similarity(payload.template, kept_payload.template)
            best = max(best, (score, kept.finger))
        score, matched = best
        if score < threshold:
            return None
        check = CheckResult(
            id=DUPLICATE_FINGER,
            value=round(score, 2),
            threshold=threshold,
            passed=False,
            quality=0,
            guidance=Message.of(
                rule.guidance, matched=finger_label(matched), asked=finger_label(step.finger)
            ),
        )
        return check, matched

    def _keep(self, step: Step, attempt: Attempt) -> None:
        if step.kept is not None:
            step.kept.kept = False
        step.kept = attempt
        attempt.kept = True

    def _better(self, step: Step, attempt: Attempt) -> bool:
        kept = step.kept
        if kept is None:
            return True
        return (attempt.accepted, attempt.quality) > (kept.accepted, kept.quality)

    def _settle_after_attempt(self, step: Step, attempt: Attempt) -> None:
        if self._better(step, attempt):
            self._keep(step, attempt)
        if attempt.accepted:
            step.state = StepState.DONE
            return
        if step.attempts_used < step.max_attempts:
            step.state = StepState.PENDING
            return
        if step.kind is CaptureKind.FINGER and self._advance_finger(step):
            return
        step.state = StepState.EXHAUSTED

    def _advance_finger(self, step: Step) -> bool:
        """Moves a hand's step to its next fallback finger; False when none is left."""
        while step.current + 1 < len(step.candidates):
            step.current += 1
            if step.attempts_used < step.max_attempts:
                step.min_quality = self.policy.fingers.threshold(step.finger)
                step.state = StepState.PENDING
                self._record(
                    SessionRecordKind.FINGER_FALLBACK,
                    {"step": step.step_id, "next_finger": step.finger},
                )
                return True
        step.current = len(step.candidates)
        return False

    # -- exceptions, waivers, overrides --------------------------------------------------------------

    def record_finger_exception(
        self, finger: int, kind: ExceptionKind, reason: str, operator_id: str = ""
    ) -> FingerExceptionRecord:
        with self.lock:
            self._require_active()
            rule = self.policy.fingers.exceptions.get(kind)
            if rule is None:
                raise StepNotAllowed(f"the {self.policy.id} policy has no exception {kind.value!r}")
            finger_steps = [s for s in self.steps if s.kind is CaptureKind.FINGER]
            if not finger_steps:
                raise StepNotAllowed("this visit takes no fingerprints")
            if not reason.strip():
                raise InvalidArgument("an exception needs a reason")
            operator = operator_id or self.operator_id
            if rule.scope is ExceptionScope.ALL:
                for step in finger_steps:
                    if not self.settled(step) or step.state is StepState.EXHAUSTED:
                        step.state = StepState.EXCEPTED
                record = FingerExceptionRecord(finger, kind, reason, operator, self._clock())
            else:
                if finger == 0:
                    raise InvalidArgument(f"a {kind.value} exception names the finger")
                hand, _ = finger_of(finger)
                hand_step = next((s for s in finger_steps if s.hand is hand), None)
                if hand_step is None or hand_step.state in _SETTLED:
                    raise StepNotAllowed(f"no open fingerprint step for the {hand.value} hand")
                if finger not in hand_step.candidates[hand_step.current :]:
                    raise StepNotAllowed(
                        f"the {finger_title(finger)} is not among the fingers still asked"
                    )
                if finger == hand_step.finger:
                    if not self._advance_finger(hand_step):
                        hand_step.state = (
                            StepState.EXHAUSTED
                            if hand_step.kept is not None
                            else StepState.EXCEPTED
                        )
                else:
                    hand_step.candidates.remove(finger)
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

    def waive_signature(self, reason: WaiverReason, note: str, operator_id: str = "") -> None:
        with self.lock:
            step = self.step_for(CaptureKind.SIGNATURE)
            if reason not in self.policy.signature.waiver_reasons:
                allowed = ", ".join(r.value for r in self.policy.signature.waiver_reasons)
                raise InvalidArgument(
                    f"waiver reason {reason.value!r} not allowed (allowed: {allowed})"
                )
            if reason is WaiverReason.OTHER and not note.strip():
                raise InvalidArgument("a waiver for another reason needs a note")
            operator = operator_id or self.operator_id
            step.state = StepState.EXCEPTED
            if step.kept is not None:
                step.kept.kept = False
                step.kept = None
            self.waiver = WaiverRecord(reason, note, operator, self._clock())
            self._record(
                SessionRecordKind.SIGNATURE_WAIVER,
                {"reason": reason.value, "note": note, "operator_id": operator},
            )

    def override(self, attempt_id: str, reason: str, operator_id: str = "") -> Attempt:
        with self.lock:
            self._require_active()
            attempt = self.attempt(attempt_id)
            if attempt.kind.value not in self.policy.overrides.allowed:
                raise StepNotAllowed(
                    f"the {self.policy.id} policy allows no override of a {attempt.kind.value}"
                )
            if attempt.accepted:
                raise StepNotAllowed("this attempt passed its checks; there is nothing to override")
            if attempt.step_id == VERIFY_STEP:
                raise StepNotAllowed(
                    "a delivery's fingerprint check cannot be overridden: a mismatch is the answer"
                )
            if len(reason.strip()) < self.policy.overrides.reason_min_length:
                raise InvalidArgument(
                    f"an override needs a reason of at least "
                    f"{self.policy.overrides.reason_min_length} characters"
                )
            step = self.step_by_id(attempt.step_id)
            if step.state in (StepState.EXCEPTED, StepState.SKIPPED):
                raise StepNotAllowed(f"the {step.title} step is {step.state.value}")
            operator = operator_id or self.operator_id
            attempt.override = Override(operator, reason, self._clock())
            attempt.accepted = True
            self._keep(step, attempt)
            step.state = StepState.DONE
            self._record(
                SessionRecordKind.OVERRIDE,
                {
                    "attempt_id": attempt_id,
                    "capture": attempt.kind.value,
                    "finger": attempt.finger,
                    "reason": reason,
                    "operator_id": operator,
                },
            )
            return attempt

    # -- devices -------------------------------------------------------------------------------------

    def pause(self, kind: CaptureKind, detail: str) -> None:
        with self.lock:
            for step in self.steps:
                if step.kind is kind and step.state in (StepState.PENDING, StepState.IN_PROGRESS):
                    step.state = StepState.PAUSED
                    self._record(
                        SessionRecordKind.STEP_PAUSED, {"step": step.step_id, "detail": detail}
                    )

    def resume(self, kind: CaptureKind) -> None:
        with self.lock:
            for step in self.steps:
                if step.kind is kind and step.state is StepState.PAUSED:
                    step.state = StepState.PENDING
                    self._record(SessionRecordKind.STEP_RESUMED, {"step": step.step_id})

    # -- ending --------------------------------------------------------------------------------------

    def check_complete(self) -> None:
        with self.lock:
            self._require_active()
            missing = self.missing()
            if missing:
                raise PolicyViolation(
                    "the visit is not complete: " + ", ".join(missing) + " still open",
                    missing=",".join(missing),
                )

    def finalize(self, receipt: Receipt) -> None:
        with self.lock:
            self.check_complete()
            self.receipt = receipt
            self._end(SessionState.FINALIZED, "")
            self._drop_payloads()

    def cancel(self, reason: str) -> None:
        with self.lock:
            self._require_active()
            self._end(SessionState.CANCELLED, reason or "cancelled by the operator")
            self._drop_payloads()

    def lose(self, reason: str) -> None:
        with self.lock:
            if self.state is SessionState.ACTIVE:
                self._end(SessionState.LOST, reason)
                self._drop_payloads()

    def _end(self, state: SessionState, reason: str) -> None:
        self.state = state
        self.end_reason = reason
        self.finished_at = self._clock()
        fields: dict[str, Any] = {"state": state.value, "reason": reason}
        if self.verification is not None:
            fields["verification"] = {
                "reference_id": self.verification.reference_id,
                "finger": self.verification.finger,
                "matched": self.verification.matched,
                "score": self.verification.score,
                "threshold": self.verification.threshold,
                "attempts": self.verification.attempts,
            }
        self._record(SessionRecordKind.SESSION_ENDED, fields)

    def _drop_payloads(self) -> None:
        # Biometric payloads are released as soon as the visit ends; only the metadata remains. The
        # delivery reference goes with them: nothing of the enrollment stays on the kit.
        for attempt in self.attempts:
            attempt.payload = None
        for step in self.steps:
            step.reference = None
        self._reference = None

    def _require_active(self) -> None:
        if self.state is SessionState.ACTIVE:
            return
        if self.state is SessionState.LOST:
            raise SessionLost(
                f"session {self.session_id} was lost ({self.end_reason}); start a new visit",
                session_id=self.session_id,
            )
        raise StepNotAllowed(
            f"session {self.session_id} is {self.state.value}", session_id=self.session_id
        )

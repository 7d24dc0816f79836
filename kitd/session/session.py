"""One visit, as a state machine driven by its document policy.

The session decides which capture comes next, what an attempt means (accepted, kept, fallback to the
next finger, exhausted), what exceptions, waivers and overrides do, and whether the visit may be
finalized. The plan of steps and the verdict on a print are pure rules beside it (plan, comparisons),
a step carries what an attempt does to it (model.Step), and the operator's decisions have their own
class (operator_decisions); the session holds the state, the lock and the records. It knows nothing of
devices or gRPC: the capture flows feed it results; tests drive it directly. Every change is reported
to `on_record(kind, fields)` for the audit log, and payloads (images) never leave memory.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from kitd.audit.session_records import RecordSink, SessionRecordKind
from kitd.delivery.errors import VisualCheckNotAllowed
from kitd.delivery.reference import DeliveryReference
from kitd.errors import (
    AttemptNotFound,
    InvalidArgument,
    KitError,
    PolicyViolation,
    SessionLost,
    StepNotAllowed,
)
from kitd.locale.catalogs import english
from kitd.locale.message import Message
from kitd.policy.model import ExceptionKind, Policy, WaiverReason, finger_label
from kitd.quality.check import CheckResult
from kitd.session.comparisons import judge_finger
from kitd.session.eligibility import (
    CertificatePhoto,
    Eligibility,
    EligibilityEntry,
    EligibilityOverride,
    EligibilityRecord,
    EligibilityView,
)
from kitd.session.model import (
    VERIFY_STEP,
    Attempt,
    CaptureKind,
    FingerExceptionRecord,
    IdentityCheck,
    Languages,
    Payload,
    Receipt,
    SessionState,
    Step,
    StepState,
    Verification,
    VisualCheckRecord,
    WaiverRecord,
)
from kitd.session.operator_decisions import OperatorDecisions
from kitd.session.plan import (
    check_visit,
    is_settled,
    plan_steps,
    step_for,
    verification_for,
)


def _no_record(kind: SessionRecordKind, fields: dict[str, Any]) -> None:
    """Default sink: sessions built without an audit log (tests of the state machine alone)."""


class Session:
    """One visit: its plan of steps, every attempt, exception, waiver and override, and its end.

    Others read it as a `kitd.session.view.SessionView` and change it only through its calls.
    """

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
        check_visit(policy, applicant_age, operator_id, reference)
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
        # Why the visit ended, in English (the audit's and the journal's words), and as the message the
        # operator reads in their language; None when the reason is the operator's own words.
        self.end_reason = ""
        self.end_message: Message | None = None
        self.created_at = clock()
        self.expires_at = self.created_at + policy.session_timeout_s
        self.finished_at: float | None = None
        self.attempts: list[Attempt] = []
        self.receipt: Receipt | None = None
        self._verification = verification_for(policy, reference)
        self._reference = reference
        self.steps = plan_steps(policy, applicant_age, reference)
        self._decisions = OperatorDecisions(
            policy, self.steps, settled=self.settled, clock=clock, record=self._record
        )
        self._eligibility = Eligibility(policy.eligibility, clock=clock, record=self._record)
        self._record(
            SessionRecordKind.SESSION_CREATED,
            {
                "policy_id": policy.id,
                "policy_version": policy.version,
                "applicant_age": applicant_age,
                "steps": [s.step_id for s in self.steps],
            },
        )

    # -- what others may read (kitd.session.view.SessionView) ---------------------------------------

    @property
    def finger_exceptions(self) -> tuple[FingerExceptionRecord, ...]:
        return tuple(self._decisions.exceptions)

    @property
    def signature_waiver(self) -> WaiverRecord | None:
        return self._decisions.waiver

    @property
    def card_validity_months(self) -> int:
        """The card's shorter validity a finger exception asks for; 0 for the document's own."""
        return self._decisions.card_validity_months

    @property
    def verification(self) -> Verification | None:
        """A delivery's identity check as it stands; None for a visit without a reference."""
        return self._verification

    @property
    def eligibility(self) -> EligibilityView:
        return self._eligibility.view()

    # -- queries -------------------------------------------------------------------------------------

    def settled(self, step: Step) -> bool:
        return is_settled(step, self.policy)

    @property
    def next_step(self) -> Step | None:
        return next((s for s in self.steps if not self.settled(s)), None)

    def missing(self) -> list[str]:
        return [s.step_id for s in self.steps if not self.settled(s)]

    def step_by_id(self, step_id: str) -> Step:
        for step in self.steps:
            if step.step_id == step_id:
                return step
        raise StepNotAllowed(Message.of("error.no_step", step_id=step_id))

    def attempt(self, attempt_id: str) -> Attempt:
        for attempt in self.attempts:
            if attempt.attempt_id == attempt_id:
                return attempt
        raise AttemptNotFound(
            Message.of("error.no_attempt", attempt_id=attempt_id, session_id=self.session_id)
        )

    def step_for(self, kind: CaptureKind, finger: int = 0) -> Step:
        """The step a capture of `kind` (and `finger`, 0 = the next one asked) would feed."""
        self._require_active()
        return step_for(self.steps, self.policy, self.applicant_age, kind, finger)

    # -- capturing -----------------------------------------------------------------------------------

    def begin(self, step: Step) -> None:
        with self.lock:
            self._require_active()
            step.check_can_begin()
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
            audit: dict[str, Any] = {}
            if step.kind is CaptureKind.FINGER:
                verdict = judge_finger(
                    self.policy,
                    step,
                    payload,
                    quality=quality,
                    checks=checks,
                    feedback=feedback,
                    verification=self._verification,
                    settled_elsewhere=[o for o in self.steps if o is not step and self.settled(o)],
                )
                accepted, checks, feedback = verdict.accepted, verdict.checks, verdict.feedback
                audit = verdict.audit
                if verdict.verification is not None:
                    self._verification = verdict.verification
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
            if step.take(attempt, self.policy.fingers):
                self._record(
                    SessionRecordKind.FINGER_FALLBACK,
                    {"step": step.step_id, "next_finger": step.finger},
                )
            self._record(SessionRecordKind.ATTEMPT, _attempt_fields(step, attempt, audit))
            verification = self._verification
            if (
                step.references
                and step.state is StepState.EXHAUSTED
                and verification is not None
                and not verification.visual_check_available
            ):
                self._not_verified(verification)
            return attempt

    def _not_verified(self, verification: Verification) -> None:
        fingers = verification.fingers
        self._end(
            SessionState.NOT_VERIFIED,
            Message.of(
                "session.end.not_verified",
                finger=finger_label(fingers[0]),
                attempts=verification.attempts,
            )
            if len(fingers) == 1
            else Message.of(
                "session.end.not_verified_fingers",
                first=finger_label(fingers[0]),
                second=finger_label(fingers[1]),
                attempts=verification.attempts,
            ),
        )
        self._drop_payloads()

    # -- a delivery's visual identity check ----------------------------------------------------------

    def enrollment_photo(self) -> bytes:
        """The reference's enrollment photo, while the visual check it serves is open."""
        with self.lock:
            self._require_active()
            self._visual_check_step()
            assert self._reference is not None
            return self._reference.photo

    def check_identity_visually(
        self, *, confirmed: bool, reason: str, operator_id: str = ""
    ) -> None:
        """The operator's visual check against the enrollment photo, after every fingerprint attempt
        failed: `confirmed` hands the card over (identity checked visually), otherwise the visit ends
        not verified. Refused (VisualCheckNotAllowed) unless the policy allows it and it is open.
        """
        with self.lock:
            self._require_active()
            step = self._visual_check_step()
            verification = self._verification
            assert verification is not None
            minimum = self.policy.delivery.visual_check.reason_min_length
            if len(reason.strip()) < minimum:
                raise InvalidArgument(Message.of("error.visual_check_reason_short", length=minimum))
            check = VisualCheckRecord(
                confirmed, reason.strip(), operator_id or self.operator_id, self._clock()
            )
            verification = self._verification = verification.checked_visually(check)
            self._record(
                SessionRecordKind.IDENTITY_CHECK,
                {
                    "method": IdentityCheck.VISUAL_CHECK.value,
                    "confirmed": confirmed,
                    "reason": check.reason,
                    "operator_id": check.operator_id,
                    "reference_id": verification.reference_id,
                    "fingerprint_attempts": verification.attempts,
                    "best_score": verification.score,
                    "threshold": verification.threshold,
                },
            )
            if not confirmed:
                self._end(SessionState.NOT_VERIFIED, Message("session.end.visual_check_declined"))
                self._drop_payloads()
                return
            step.state = StepState.DONE

    def _visual_check_step(self) -> Step:
        """The verification step whose visual check is open, else VisualCheckNotAllowed saying why."""
        verification = self._verification
        if verification is None:
            raise VisualCheckNotAllowed(Message("error.visual_check_no_delivery"))
        if not self.policy.delivery.visual_check.allowed:
            raise VisualCheckNotAllowed(
                Message.of("error.visual_check_forbidden", title=self.policy.title)
            )
        if not verification.visual_check_available:
            raise VisualCheckNotAllowed(Message("error.visual_check_no_photo"))
        step = self.step_by_id(VERIFY_STEP)
        if verification.verified or step.state is not StepState.EXHAUSTED:
            raise VisualCheckNotAllowed(
                Message("error.visual_check_verified")
                if verification.verified
                else Message("error.visual_check_not_yet")
            )
        return step

    # -- exceptions, waivers, overrides --------------------------------------------------------------

    def record_finger_exception(
        self, finger: int, kind: ExceptionKind, reason: str, operator_id: str = ""
    ) -> FingerExceptionRecord:
        with self.lock:
            self._require_active()
            operator = operator_id or self.operator_id
            return self._decisions.except_finger(finger, kind, reason, operator)

    def waive_signature(self, reason: WaiverReason, note: str, operator_id: str = "") -> None:
        with self.lock:
            step = self.step_for(CaptureKind.SIGNATURE)
            self._decisions.waive_signature(step, reason, note, operator_id or self.operator_id)

    def override(self, attempt_id: str, reason: str, operator_id: str = "") -> Attempt:
        with self.lock:
            self._require_active()
            attempt = self.attempt(attempt_id)
            operator = operator_id or self.operator_id
            return self._decisions.override(attempt, reason, operator, self.step_by_id)

    # -- a home visit's eligibility -------------------------------------------------------------------

    def record_eligibility(
        self, entry: EligibilityEntry, operator_id: str = ""
    ) -> EligibilityRecord:
        with self.lock:
            self._require_active()
            return self._eligibility.record(entry, operator_id or self.operator_id)

    def clock(self) -> float:
        """The visit's clock (wall time, seconds)."""
        return self._clock()

    def check_certificate_photo_allowed(self) -> None:
        """StepNotAllowed unless the visit is active and its policy asks for the certificate's photo."""
        with self.lock:
            self._require_active()
            self._eligibility.check_photo_allowed()

    def keep_certificate_photo(self, photo: CertificatePhoto, operator_id: str = "") -> None:
        with self.lock:
            self._require_active()
            self._eligibility.keep_photo(photo, operator_id or self.operator_id)

    def override_eligibility(self, reason: str, operator_id: str = "") -> EligibilityOverride:
        with self.lock:
            self._require_active()
            return self._eligibility.override_missing(reason, operator_id or self.operator_id)

    # -- devices -------------------------------------------------------------------------------------

    def pause(self, kind: CaptureKind, detail: str) -> None:
        """The device of `kind` went away: its steps not yet settled wait for it."""
        with self.lock:
            for step in self.steps:
                if step.kind is kind and step.state in (StepState.PENDING, StepState.IN_PROGRESS):
                    step.state = StepState.PAUSED
                    self._record(
                        SessionRecordKind.STEP_PAUSED, {"step": step.step_id, "detail": detail}
                    )

    def resume(self, kind: CaptureKind) -> None:
        """The device of `kind` is back: its paused steps take captures again."""
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
                    Message.of("error.visit_incomplete", missing=", ".join(missing)),
                    missing=",".join(missing),
                )
            self._eligibility.check_settled()

    def finalize(self, receipt: Receipt) -> None:
        with self.lock:
            self.check_complete()
            self.receipt = receipt
            self._end(SessionState.FINALIZED, "")
            self._drop_payloads()

    def cancel(self, reason: str) -> None:
        with self.lock:
            self._require_active()
            self._end(SessionState.CANCELLED, reason or Message("session.end.cancelled"))
            self._drop_payloads()

    def lose(self, reason: str | Message) -> None:
        with self.lock:
            if self.state is SessionState.ACTIVE:
                self._end(SessionState.LOST, reason)
                self._drop_payloads()

    def _end(self, state: SessionState, reason: str | Message) -> None:
        self.state = state
        self.end_message = reason if isinstance(reason, Message) else None
        self.end_reason = english(reason) if isinstance(reason, Message) else reason
        self.finished_at = self._clock()
        fields: dict[str, Any] = {"state": state.value, "reason": self.end_reason}
        if self._verification is not None:
            fields["verification"] = self._verification.record()
        self._record(SessionRecordKind.SESSION_ENDED, fields)

    def _drop_payloads(self) -> None:
        # Biometric payloads are released as soon as the visit ends; only the metadata remains. The
        # delivery reference goes with them: nothing of the enrollment stays on the kit.
        for attempt in self.attempts:
            attempt.payload = None
        for step in self.steps:
            step.references = {}
        self._reference = None
        # The certificate's photo is health data: it leaves memory with the captures.
        self._eligibility.drop_photo()

    def _require_active(self) -> None:
        if self.state is not SessionState.ACTIVE:
            raise self._inactive()

    def _inactive(self) -> KitError:
        """What a call on a visit that has ended raises: lost, or ended otherwise."""
        if self.state is SessionState.LOST:
            return SessionLost(
                Message.of(
                    "error.session_lost_here",
                    session_id=self.session_id,
                    reason=self.end_message or self.end_reason,
                ),
                session_id=self.session_id,
            )
        return StepNotAllowed(
            Message.of(
                "error.session_not_active",
                session_id=self.session_id,
                state=Message(f"session.state.{self.state.value}"),
            ),
            session_id=self.session_id,
        )


def _attempt_fields(step: Step, attempt: Attempt, comparison: dict[str, Any]) -> dict[str, Any]:
    """What the audit record of an attempt says, its step updated; `comparison`: a print's scores."""
    return {
        "attempt_id": attempt.attempt_id,
        "capture": step.kind.value,
        "finger": attempt.finger,
        "number": attempt.number,
        "quality": attempt.quality,
        "accepted": attempt.accepted,
        "failed_checks": [c.id for c in attempt.checks if not c.passed],
        "feedback": list(attempt.feedback),
        "step_state": step.state.value,
        **comparison,
    }

"""Sessions, steps, attempts and receipts as kit.v1 messages, texts in the operator's language."""

from __future__ import annotations

from kit.v1 import capture_service_pb2 as pb
from kit.v1 import types_pb2
from kitd.api import convert
from kitd.locale.catalogs import Texts
from kitd.policy.model import ExceptionKind, WaiverReason, finger_label
from kitd.session.model import Attempt, CaptureKind, Receipt, SessionState, Step, StepState
from kitd.session.session import VERIFY_STEP, Session

_CAPTURE_KINDS = {
    CaptureKind.FACE: types_pb2.CAPTURE_KIND_FACE,
    CaptureKind.FINGER: types_pb2.CAPTURE_KIND_FINGER,
    CaptureKind.SIGNATURE: types_pb2.CAPTURE_KIND_SIGNATURE,
}
_STEP_STATES = {
    StepState.PENDING: pb.STEP_STATE_PENDING,
    StepState.IN_PROGRESS: pb.STEP_STATE_IN_PROGRESS,
    StepState.DONE: pb.STEP_STATE_DONE,
    StepState.EXHAUSTED: pb.STEP_STATE_EXHAUSTED,
    StepState.EXCEPTED: pb.STEP_STATE_EXCEPTED,
    StepState.SKIPPED: pb.STEP_STATE_SKIPPED,
    StepState.PAUSED: pb.STEP_STATE_PAUSED,
}
_SESSION_STATES = {
    SessionState.ACTIVE: pb.SESSION_STATE_ACTIVE,
    SessionState.FINALIZED: pb.SESSION_STATE_FINALIZED,
    SessionState.CANCELLED: pb.SESSION_STATE_CANCELLED,
    SessionState.LOST: pb.SESSION_STATE_LOST,
    SessionState.NOT_VERIFIED: pb.SESSION_STATE_NOT_VERIFIED,
}
_EXCEPTION_KINDS = {
    ExceptionKind.AMPUTATED: types_pb2.FINGER_EXCEPTION_KIND_AMPUTATED,
    ExceptionKind.INJURED: types_pb2.FINGER_EXCEPTION_KIND_INJURED,
    ExceptionKind.TEMPORARILY_UNABLE: types_pb2.FINGER_EXCEPTION_KIND_TEMPORARILY_UNABLE,
    ExceptionKind.PERMANENTLY_UNABLE: types_pb2.FINGER_EXCEPTION_KIND_PERMANENTLY_UNABLE,
}
_WAIVER_REASONS = {
    WaiverReason.ILLITERACY: types_pb2.SIGNATURE_WAIVER_REASON_ILLITERACY,
    WaiverReason.HANDICAP: types_pb2.SIGNATURE_WAIVER_REASON_HANDICAP,
    WaiverReason.ILLNESS: types_pb2.SIGNATURE_WAIVER_REASON_ILLNESS,
    WaiverReason.OTHER: types_pb2.SIGNATURE_WAIVER_REASON_OTHER,
}


# Step ids of the policies' plans (kitd.session.session) and the message id of each one's title.
_STEP_TITLES = {
    "face": "step.photo",
    "finger-right": "step.right_hand",
    "finger-left": "step.left_hand",
    "signature": "step.signature",
    VERIFY_STEP: "step.fingerprint_check",
}


def step_title(step: Step, texts: Texts) -> str:
    """ "right hand: right index finger" (the finger asked now), "photo", in the operator's language."""
    message_id = _STEP_TITLES.get(step.step_id)
    title = texts.id(message_id) if message_id else step.title
    if not step.finger:
        return title
    return texts.id("step.with_finger", step=title, finger=finger_label(step.finger))


def attempt_message(attempt: Attempt, texts: Texts) -> types_pb2.Attempt:
    message = types_pb2.Attempt(
        attempt_id=attempt.attempt_id,
        kind=_CAPTURE_KINDS[attempt.kind],
        finger=attempt.finger,  # type: ignore[arg-type]
        number=attempt.number,
        time=convert.timestamp(attempt.time),
        quality=attempt.quality,
        checks=[convert.check(c, texts) for c in attempt.checks],
        accepted=attempt.accepted,
        kept=attempt.kept,
        feedback=attempt.feedback,
    )
    if attempt.override is not None:
        message.override.CopyFrom(
            types_pb2.Override(
                operator_id=attempt.override.operator_id,
                reason=attempt.override.reason,
                time=convert.timestamp(attempt.override.time),
            )
        )
    return message


def receipt_message(receipt: Receipt) -> pb.PackageReceipt:
    return pb.PackageReceipt(
        package_id=receipt.package_id,
        sha256=receipt.sha256,
        size_bytes=receipt.size_bytes,
        path=receipt.path,
        recipient_key_id=receipt.recipient_key_id,
        kit_key_id=receipt.kit_key_id,
        sealed_at=convert.timestamp(receipt.sealed_at),
    )


def session_message(session: Session, texts: Texts) -> pb.Session:
    """The session; `texts` renders in its operator language (CallLanguages.of_language)."""
    with session.lock:
        next_step = session.next_step if session.state is SessionState.ACTIVE else None
        message = pb.Session(
            session_id=session.session_id,
            state=_SESSION_STATES[session.state],
            document_profile=session.policy.id,
            policy_id=session.policy.id,
            policy_version=session.policy.version,
            applicant_age=session.applicant_age,
            operator_id=session.operator_id,
            application_reference=session.application_reference,
            steps=[
                pb.Step(
                    step_id=step.step_id,
                    kind=_CAPTURE_KINDS[step.kind],
                    finger=step.finger,  # type: ignore[arg-type]
                    state=_STEP_STATES[step.state],
                    attempts_used=step.attempts_used,
                    max_attempts=step.max_attempts,
                    min_quality=step.min_quality,
                    title=step_title(step, texts),
                )
                for step in session.steps
            ],
            attempts=[attempt_message(a, texts) for a in session.attempts],
            finger_exceptions=[
                types_pb2.FingerException(
                    finger=e.finger,  # type: ignore[arg-type]
                    kind=_EXCEPTION_KINDS[e.kind],
                    reason=e.reason,
                    operator_id=e.operator_id,
                    time=convert.timestamp(e.time),
                )
                for e in session.exceptions
            ],
            card_validity_months=session.card_validity_months,
            created_at=convert.timestamp(session.created_at),
            expires_at=convert.timestamp(session.expires_at),
            next_step_id=next_step.step_id if next_step else "",
            end_reason=session.end_reason,
            operator_language=session.languages.operator,
            citizen_language=session.languages.citizen,
            language_fallbacks=session.languages.fallbacks,
        )
        if session.waiver is not None:
            message.signature_waiver.CopyFrom(
                types_pb2.SignatureWaiver(
                    reason=_WAIVER_REASONS[session.waiver.reason],
                    note=session.waiver.note,
                    operator_id=session.waiver.operator_id,
                    time=convert.timestamp(session.waiver.time),
                )
            )
        if session.receipt is not None:
            message.receipt.CopyFrom(receipt_message(session.receipt))
        verification = session.verification
        if verification is not None:
            message.delivery_verification.CopyFrom(
                pb.DeliveryVerification(
                    reference_id=verification.reference_id,
                    finger=verification.finger,  # type: ignore[arg-type]
                    matched=verification.matched,
                    score=verification.score,
                    threshold=verification.threshold,
                    attempts_used=verification.attempts,
                    max_attempts=session.policy.delivery.max_attempts,
                )
            )
        return message

"""Maps a complete session onto what the packager takes (kitd.package.contents.VisitContents).

Only kept attempts go into the package: the photo, one print per hand (or none when excepted), the
signature (or its waiver), with every exception and override; a delivery adds the outcome of its
identity check (each attempt's score, the finger that matched, how identity was checked), never the
print, the reference or its photo. Images are handed over in memory.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kitd.audit.record import AuditRecord
from kitd.package import contents as pkg
from kitd.session.eligibility import EligibilityView
from kitd.session.model import (
    VERIFY_STEP,
    CaptureKind,
    FacePayload,
    FingerPayload,
    SignaturePayload,
    StepState,
)
from kitd.session.view import AttemptView, SessionView


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _override_reason(attempt: AttemptView) -> str | None:
    return attempt.override.reason if attempt.override is not None else None


def visit_contents(
    session: SessionView, kit_id: str, audit_records: tuple[AuditRecord, ...] = ()
) -> pkg.VisitContents:
    """What the package of a complete visit carries: its kept captures, the operator's decisions, a
    delivery's identity check, a home visit's eligibility and the visit's audit records.
    """
    face: pkg.FaceCapture | None = None
    fingers: list[pkg.FingerCapture] = []
    signature: pkg.SignatureCapture | None = None
    overrides: list[pkg.Override] = []
    for step in session.steps:
        kept = step.kept
        if kept is None or step.state in (StepState.EXCEPTED, StepState.SKIPPED):
            continue
        if step.step_id == VERIFY_STEP:
            # A delivery keeps the outcome of its fingerprint check, not the print.
            continue
        payload = kept.payload
        if kept.override is not None:
            target = f"finger:{kept.finger}" if kept.finger else kept.kind.value
            overrides.append(pkg.Override(target, kept.override.reason, kept.override.operator_id))
        if step.kind is CaptureKind.FACE and isinstance(payload, FacePayload):
            face = pkg.FaceCapture(
                payload.jpeg, payload.width, payload.height, kept.checks, _override_reason(kept)
            )
        elif step.kind is CaptureKind.FINGER and isinstance(payload, FingerPayload):
            fingers.append(
                pkg.FingerCapture(
                    position=kept.finger,
                    pixels=payload.pixels,
                    quality=kept.quality,
                    attempts=sum(1 for a in step.attempts if a.finger == kept.finger),
                    overridden_reason=_override_reason(kept),
                )
            )
        elif step.kind is CaptureKind.SIGNATURE and isinstance(payload, SignaturePayload):
            signature = pkg.SignatureCapture(payload.png, payload.iso_19794_7, kept.checks)
    waiver = session.signature_waiver
    return pkg.VisitContents(
        kit_id=kit_id,
        document_profile=session.policy.id,
        policy_id=session.policy.id,
        policy_version=session.policy.version,
        application_reference=session.application_reference,
        operator_id=session.operator_id,
        applicant_age=session.applicant_age,
        started_at=_time(session.created_at),
        finished_at=_time(session.finished_at or datetime.now(UTC).timestamp()),
        card_validity_months=session.card_validity_months,
        face=face,
        fingers=tuple(fingers),
        signature=signature,
        finger_exceptions=tuple(
            pkg.FingerException(e.finger, e.kind.value, e.reason, e.operator_id)
            for e in session.finger_exceptions
        ),
        signature_waiver=None
        if waiver is None
        else pkg.SignatureWaiver(waiver.reason.value, waiver.note, waiver.operator_id),
        overrides=tuple(overrides),
        audit_records=audit_records,
        delivery=None
        if (v := session.verification) is None
        else pkg.DeliveryVerification(
            v.reference_id,
            v.finger,
            v.matched,
            v.score,
            v.threshold,
            v.attempts,
            identity_check=v.method.value,
            scores=tuple((t.finger, t.number, t.score) for t in v.tries),
            visual_check_reason=v.visual_check.reason if v.visual_check else "",
            visual_check_operator=v.visual_check.operator_id if v.visual_check else "",
        ),
        eligibility=eligibility_contents(session.eligibility),
    )


def eligibility_contents(eligibility: EligibilityView) -> pkg.Eligibility | None:
    """A home visit's eligibility as the package carries it; the photo only when it passed its
    checks (a failed one was overridden or retaken).
    """
    if not eligibility.required:
        return None
    decision = eligibility.override
    override = (
        None
        if decision is None
        else pkg.EligibilityOverride(
            decision.reason, decision.operator_id, tuple(m.value for m in decision.missing)
        )
    )
    photo = eligibility.photo
    jpeg = photo.jpeg if photo is not None and photo.accepted and photo.jpeg else None
    recorded = eligibility.recorded
    if recorded is None:
        return pkg.Eligibility(recorded=False, certificate_photo=jpeg, override=override)
    return pkg.Eligibility(
        recorded=True,
        request_reference=recorded.request_reference,
        filed_by=recorded.filed_by.value,
        organisation=recorded.organisation,
        certificate_shown=recorded.certificate_shown,
        certificate_date=recorded.certificate_date.isoformat() if recorded.certificate_date else "",
        place=recorded.place.value,
        facility=recorded.facility,
        operator_id=recorded.operator_id,
        certificate_photo=jpeg,
        override=override,
    )

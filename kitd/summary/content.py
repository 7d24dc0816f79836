"""What a sealed visit's summary tells the citizen, as messages (no language yet, no biometrics).

From a finalized session: the document applied for, the application reference, the package id to
quote, the date and place of the visit, what was captured (names only: "photo", "right index
finger"), what was recorded instead (finger exceptions, a waived signature, an accepted attempt, a
shorter card validity) and what happens next (the policy's `summary_next` message). Nothing here reads
a payload: images and templates have left memory by the time a visit is sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kitd.errors import StepNotAllowed
from kitd.locale.message import Message
from kitd.policy.model import finger_label
from kitd.session.model import VERIFY_STEP, CaptureKind, IdentityCheck, SessionState, StepState
from kitd.session.view import SessionView


@dataclass(frozen=True)
class SummaryContent:
    """The summary's facts and lists, each a message for the citizen's language."""

    document: Message | str
    application_reference: str
    package_id: str
    visit_date: date
    place: Message | None
    facility: str
    captured: tuple[Message, ...]
    recorded: tuple[Message, ...]
    next_steps: Message


def document_name(session: SessionView) -> Message | str:
    """The document's name: the policy's `summary_document` message, else its own title."""
    name = session.policy.summary_document
    return Message(name) if name else session.policy.title


def _captured(session: SessionView) -> list[Message]:
    items: list[Message] = []
    verification = session.verification
    if verification is not None and verification.method is IdentityCheck.FINGERPRINT:
        items.append(Message("summary.captured.identity_fingerprint"))
    elif verification is not None and verification.method is IdentityCheck.VISUAL_CHECK:
        items.append(Message("summary.captured.identity_visual"))
    for step in session.steps:
        kept = step.kept
        if step.step_id == VERIFY_STEP or kept is None:
            continue
        if step.state in (StepState.EXCEPTED, StepState.SKIPPED):
            continue
        if step.kind is CaptureKind.FACE:
            items.append(Message("summary.captured.photo"))
        elif step.kind is CaptureKind.FINGER:
            items.append(Message.of("summary.captured.finger", finger=finger_label(kept.finger)))
        elif step.kind is CaptureKind.SIGNATURE:
            items.append(Message("summary.captured.signature"))
    return items


def _recorded(session: SessionView) -> list[Message]:
    items: list[Message] = []
    for exception in session.finger_exceptions:
        kind = Message(f"summary.exception.{exception.kind.value}")
        items.append(
            Message.of("summary.recorded.finger", finger=finger_label(exception.finger), kind=kind)
            if exception.finger
            else Message.of("summary.recorded.all_fingers", kind=kind)
        )
    waiver = session.signature_waiver
    if waiver is not None:
        items.append(
            Message.of(
                "summary.recorded.signature_waived",
                reason=Message(f"summary.waiver.{waiver.reason.value}"),
            )
        )
    for attempt in session.attempts:
        if attempt.override is not None and attempt.kept:
            what = (
                finger_label(attempt.finger)
                if attempt.kind is CaptureKind.FINGER
                else Message(f"summary.capture.{attempt.kind.value}")
            )
            items.append(Message.of("summary.recorded.accepted", what=what))
    months = session.card_validity_months
    if months:
        items.append(Message.of("summary.recorded.card_validity", months=months))
    if session.eligibility.override is not None:
        items.append(Message("summary.recorded.eligibility_override"))
    return items


def summary_of(session: SessionView) -> SummaryContent:
    """The summary of a sealed visit; StepNotAllowed before it is sealed."""
    with session.lock:
        receipt = session.receipt
        if session.state is not SessionState.FINALIZED or receipt is None:
            raise StepNotAllowed(Message("error.summary_not_sealed"))
        recorded = session.eligibility.recorded
        return SummaryContent(
            document=document_name(session),
            application_reference=session.application_reference,
            package_id=receipt.package_id,
            visit_date=datetime.fromtimestamp(session.created_at).date(),
            place=None if recorded is None else Message(f"summary.place.{recorded.place.value}"),
            facility="" if recorded is None else recorded.facility,
            captured=tuple(_captured(session)),
            recorded=tuple(_recorded(session)),
            next_steps=Message(session.policy.summary_next),
        )

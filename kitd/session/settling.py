"""What an attempt does to its step: kept when it is the best so far, then the step is done, tried again,
moved to its next fallback finger, or exhausted; whether a step may take another attempt at all; and
steps waiting for their device."""

from __future__ import annotations

from typing import Any

from kitd.audit.session_records import RecordSink, SessionRecordKind
from kitd.errors import StepNotAllowed
from kitd.locale.message import Message
from kitd.policy.model import FingerPolicy
from kitd.session.model import Attempt, CaptureKind, Step, StepState
from kitd.session.plan import step_label


def check_can_begin(step: Step) -> None:
    """Raises StepNotAllowed when `step` cannot take an attempt now, saying why."""
    if step.state is StepState.PAUSED:
        raise StepNotAllowed(
            Message.of("error.step_waits_for_device", step=step_label(step)), step=step.step_id
        )
    check_not_excepted(step)
    if step.kind is CaptureKind.FINGER and step.state in (StepState.DONE, StepState.EXHAUSTED):
        raise StepNotAllowed(Message.of("error.fingerprint_settled", step=step_label(step)))
    if step.attempts_used >= step.max_attempts:
        raise StepNotAllowed(
            Message.of("error.attempts_used", step=step_label(step), attempts=step.max_attempts),
            step=step.step_id,
        )


def check_not_excepted(step: Step) -> None:
    """Raises StepNotAllowed when `step` was excepted or skipped."""
    if step.state in (StepState.EXCEPTED, StepState.SKIPPED):
        raise StepNotAllowed(Message.of(f"error.step_{step.state.value}", step=step_label(step)))


def keep(step: Step, attempt: Attempt) -> None:
    if step.kept is not None:
        step.kept.kept = False
    step.kept = attempt
    attempt.kept = True


def _better(step: Step, attempt: Attempt) -> bool:
    kept = step.kept
    if kept is None:
        return True
    return (attempt.accepted, attempt.quality) > (kept.accepted, kept.quality)


def settle_after_attempt(
    step: Step, attempt: Attempt, fingers: FingerPolicy, record: RecordSink
) -> None:
    if _better(step, attempt):
        keep(step, attempt)
    if attempt.accepted:
        step.state = StepState.DONE
        return
    if step.attempts_used < step.max_attempts:
        step.state = StepState.PENDING
        return
    if step.kind is CaptureKind.FINGER and advance_finger(step, fingers, record):
        return
    step.state = StepState.EXHAUSTED


def attempt_fields(step: Step, attempt: Attempt, comparison: dict[str, Any]) -> dict[str, Any]:
    """What the audit record of an attempt says, its step settled; `comparison`: a print's scores."""
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


def advance_finger(step: Step, fingers: FingerPolicy, record: RecordSink) -> bool:
    """Moves a hand's step to its next fallback finger; False when none is left."""
    while step.current + 1 < len(step.candidates):
        step.current += 1
        if step.attempts_used < step.max_attempts:
            if not step.references:
                # A delivery's minimum is one for every enrolled finger; a hand's is per finger.
                step.min_quality = fingers.threshold(step.finger)
            step.state = StepState.PENDING
            record(
                SessionRecordKind.FINGER_FALLBACK,
                {"step": step.step_id, "next_finger": step.finger},
            )
            return True
    step.current = len(step.candidates)
    return False


def pause_steps(steps: list[Step], kind: CaptureKind, detail: str, record: RecordSink) -> None:
    """The device of `kind` went away: its steps not yet settled wait for it."""
    for step in steps:
        if step.kind is kind and step.state in (StepState.PENDING, StepState.IN_PROGRESS):
            step.state = StepState.PAUSED
            record(SessionRecordKind.STEP_PAUSED, {"step": step.step_id, "detail": detail})


def resume_steps(steps: list[Step], kind: CaptureKind, record: RecordSink) -> None:
    for step in steps:
        if step.kind is kind and step.state is StepState.PAUSED:
            step.state = StepState.PENDING
            record(SessionRecordKind.STEP_RESUMED, {"step": step.step_id})

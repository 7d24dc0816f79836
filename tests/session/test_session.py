"""The visit state machine follows the document policy: steps, attempts, fallbacks, exceptions,
waivers, overrides, pausing for devices, and what finalizing requires."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from kitd.errors import InvalidArgument, PolicyViolation, StepNotAllowed
from kitd.policy import ExceptionKind, PolicySet, WaiverReason, load_policies
from kitd.quality.check import CheckResult
from kitd.session.model import (
    CaptureKind,
    FacePayload,
    FingerPayload,
    Receipt,
    SessionState,
    SignaturePayload,
    StepState,
)
from kitd.session.session import Session

RIGHT_INDEX, RIGHT_MIDDLE, RIGHT_RING, RIGHT_LITTLE, RIGHT_THUMB = 2, 3, 4, 5, 1
LEFT_INDEX = 7


@pytest.fixture(scope="module")
def policies() -> PolicySet:
    return load_policies()


def session(policies: PolicySet, profile: str = "be-eid", age: int = 40) -> tuple[Session, list]:
    records: list[tuple[str, dict[str, Any]]] = []
    s = Session(
        policies.for_visit(profile, age),
        age,
        "op-17",
        on_record=lambda kind, fields: records.append((kind, fields)),
    )
    return s, records


PASS = (CheckResult("single_face", 1, 1, passed=True, quality=100),)
FAIL = (
    CheckResult(
        "yaw", 14.0, 5.0, passed=False, quality=20, guidance="ask the person to look straight"
    ),
)


def face(s: Session, checks=PASS):
    step = s.step_for(CaptureKind.FACE)
    s.begin(step)
    return s.record_attempt(step, FacePayload(b"jpeg", 827, 1063), 80, checks)


def finger(s: Session, position: int, quality: int):
    step = s.step_for(CaptureKind.FINGER, position)
    s.begin(step)
    return s.record_attempt(step, FingerPayload(np.zeros((500, 400), np.uint8)), quality, ())


def signature(s: Session, checks=PASS):
    step = s.step_for(CaptureKind.SIGNATURE)
    s.begin(step)
    return s.record_attempt(step, SignaturePayload(b"png", b"iso", 900, 300), 90, checks)


def receipt() -> Receipt:
    return Receipt("pkg", "00" * 32, 10, "/outbox/pkg", "rk", "kk", 0.0)


def test_adult_eid_asks_photo_both_index_fingers_and_signature(policies: PolicySet) -> None:
    s, _ = session(policies)
    assert [st.step_id for st in s.steps] == ["face", "finger-right", "finger-left", "signature"]
    assert [st.finger for st in s.steps if st.kind is CaptureKind.FINGER] == [
        RIGHT_INDEX,
        LEFT_INDEX,
    ]
    assert s.next_step is s.steps[0]


def test_kids_id_at_age_8_asks_only_the_photo(policies: PolicySet) -> None:
    s, _ = session(policies, "be-kids-id", 8)
    assert [st.step_id for st in s.steps] == ["face"]


def test_eid_at_age_11_is_refused_and_names_the_right_profile(policies: PolicySet) -> None:
    with pytest.raises(InvalidArgument, match="be-kids-id"):
        policies.for_visit("be-eid", 11)


def test_no_fingerprints_are_requested_at_age_11(policies: PolicySet) -> None:
    s, _ = session(policies, "be-kids-id", 11)
    with pytest.raises(StepNotAllowed, match="does not ask for a finger"):
        s.step_for(CaptureKind.FINGER)


def test_good_print_settles_the_hand(policies: PolicySet) -> None:
    s, _ = session(policies)
    attempt = finger(s, RIGHT_INDEX, 55)
    assert attempt.accepted and attempt.kept
    assert s.step_by_id("finger-right").state is StepState.DONE


def test_three_poor_attempts_fall_back_to_the_middle_finger_keeping_the_best(
    policies: PolicySet,
) -> None:
    s, records = session(policies)
    qualities = [12, 25, 18]
    attempts = [finger(s, RIGHT_INDEX, q) for q in qualities]
    step = s.step_by_id("finger-right")
    assert step.finger == RIGHT_MIDDLE
    assert step.state is StepState.PENDING
    assert step.min_quality == 20  # the middle finger's threshold
    assert step.kept is attempts[1]
    assert (
        "finger_fallback",
        {"operator_id": "op-17", "step": "finger-right", "next_finger": RIGHT_MIDDLE},
    ) in records
    with pytest.raises(StepNotAllowed, match="right middle finger"):
        s.step_for(CaptureKind.FINGER, RIGHT_INDEX)
    accepted = finger(s, RIGHT_MIDDLE, 21)
    assert accepted.accepted and step.kept is accepted and not attempts[1].kept
    assert step.state is StepState.DONE


def test_every_finger_poor_leaves_the_hand_exhausted_with_the_best_kept(
    policies: PolicySet,
) -> None:
    s, _ = session(policies)
    for position in (RIGHT_INDEX, RIGHT_MIDDLE, RIGHT_RING, RIGHT_LITTLE, RIGHT_THUMB):
        for _ in range(3):
            finger(s, position, 5)
    step = s.step_by_id("finger-right")
    assert step.state is StepState.EXHAUSTED
    assert step.kept is not None
    assert s.settled(step)  # the policy accepts the best print when all are used up


def test_amputated_right_index_moves_to_the_right_middle(policies: PolicySet) -> None:
    s, records = session(policies)
    s.record_finger_exception(RIGHT_INDEX, ExceptionKind.AMPUTATED, "amputated in 2019")
    assert s.step_for(CaptureKind.FINGER).finger == RIGHT_MIDDLE
    assert s.finger_exceptions[0].operator_id == "op-17"
    assert records[-1][0] == "finger_exception"
    assert s.card_validity_months == 0


def test_exception_on_a_later_fallback_removes_it_from_the_order(policies: PolicySet) -> None:
    s, _ = session(policies)
    s.record_finger_exception(RIGHT_MIDDLE, ExceptionKind.INJURED, "bandaged")
    for _ in range(3):
        finger(s, RIGHT_INDEX, 1)
    assert s.step_by_id("finger-right").finger == RIGHT_RING


def test_temporarily_unable_settles_all_fingers_with_a_12_month_card(policies: PolicySet) -> None:
    s, _ = session(policies)
    s.record_finger_exception(0, ExceptionKind.TEMPORARILY_UNABLE, "both hands in plaster")
    assert all(st.state is StepState.EXCEPTED for st in s.steps if st.kind is CaptureKind.FINGER)
    assert s.card_validity_months == 12


def test_exception_needs_a_reason(policies: PolicySet) -> None:
    s, _ = session(policies)
    with pytest.raises(InvalidArgument):
        s.record_finger_exception(RIGHT_INDEX, ExceptionKind.AMPUTATED, "  ")


def test_rejected_photo_can_be_overridden_with_a_reason(policies: PolicySet) -> None:
    s, records = session(policies)
    attempt = face(s, FAIL)
    assert not attempt.accepted
    assert s.step_by_id("face").state is StepState.PENDING
    with pytest.raises(InvalidArgument, match="reason"):
        s.override(attempt.attempt_id, "ok")
    s.override(attempt.attempt_id, "head tilt due to a neck brace")
    assert attempt.accepted and attempt.kept
    assert attempt.override is not None and attempt.override.operator_id == "op-17"
    assert s.step_by_id("face").state is StepState.DONE
    assert records[-1][0] == "override"


def test_a_passing_attempt_cannot_be_overridden(policies: PolicySet) -> None:
    s, _ = session(policies)
    attempt = face(s)
    with pytest.raises(StepNotAllowed):
        s.override(attempt.attempt_id, "no reason to")


def test_signature_waiver_replaces_the_signature(policies: PolicySet) -> None:
    s, _ = session(policies)
    s.waive_signature(WaiverReason.ILLITERACY, "")
    assert s.step_by_id("signature").state is StepState.EXCEPTED
    assert s.signature_waiver is not None and s.signature_waiver.reason is WaiverReason.ILLITERACY


def test_attempts_are_limited_per_step(policies: PolicySet) -> None:
    s, _ = session(policies)
    for _ in range(3):
        signature(s, FAIL)
    step = s.step_by_id("signature")
    assert step.state is StepState.EXHAUSTED
    with pytest.raises(StepNotAllowed, match="attempts"):
        s.begin(step)
    assert "signature" in s.missing()


def test_finalize_names_the_missing_steps_then_succeeds_when_complete(policies: PolicySet) -> None:
    s, _ = session(policies)
    face(s)
    with pytest.raises(PolicyViolation, match="finger-right, finger-left, signature"):
        s.finalize(receipt())
    finger(s, RIGHT_INDEX, 60)
    finger(s, LEFT_INDEX, 60)
    signature(s)
    s.finalize(receipt())
    assert s.state is SessionState.FINALIZED
    assert all(a.payload is None for a in s.attempts)


def test_cancel_drops_captures_and_ends_the_session(policies: PolicySet) -> None:
    s, _ = session(policies)
    face(s)
    s.cancel("citizen too tired")
    assert s.state is SessionState.CANCELLED
    assert s.attempts[0].payload is None
    with pytest.raises(StepNotAllowed, match="cancelled"):
        s.step_for(CaptureKind.FACE)


def test_device_loss_pauses_open_steps_and_their_return_resumes_them(policies: PolicySet) -> None:
    s, _ = session(policies)
    finger(s, RIGHT_INDEX, 60)
    s.pause(CaptureKind.FINGER, "reader unplugged")
    assert s.step_by_id("finger-right").state is StepState.DONE
    left = s.step_by_id("finger-left")
    assert left.state is StepState.PAUSED
    with pytest.raises(StepNotAllowed, match="device"):
        s.begin(left)
    s.resume(CaptureKind.FINGER)
    assert left.state is StepState.PENDING


def test_an_abandoned_capture_does_not_use_an_attempt(policies: PolicySet) -> None:
    s, _ = session(policies)
    step = s.step_for(CaptureKind.FINGER)
    s.begin(step)
    s.abandon(step)
    assert step.state is StepState.PENDING
    assert step.attempts_used == 0


def test_every_attempt_is_recorded_for_the_audit(policies: PolicySet) -> None:
    s, records = session(policies)
    face(s, FAIL)
    face(s)
    attempts = [f for kind, f in records if kind == "attempt"]
    assert [a["accepted"] for a in attempts] == [False, True]
    assert attempts[0]["failed_checks"] == ["yaw"]

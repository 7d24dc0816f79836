"""The duplicate-finger check over gRPC: the citizen presents the right index again when the left index
is asked for; the kit refuses it as duplicate_finger with guidance, the left index then passes, and an
operator's override of a duplicate is audited in the package."""

from __future__ import annotations

from kit.v1 import capture_service_pb2 as pb
from support.visit import LEFT_INDEX, RIGHT_INDEX, captured_attempt, failed_checks

GOOD = {"quality": 0.9}


def test_the_same_finger_twice_is_stopped_and_the_asked_finger_then_passes(visit_factory) -> None:
    visit = visit_factory()
    visit.face()
    visit.finger(RIGHT_INDEX, **GOOD)
    duplicate = captured_attempt(visit.finger(LEFT_INDEX, presented=RIGHT_INDEX, **GOOD))
    assert not duplicate.accepted
    assert failed_checks(duplicate) == {"duplicate_finger"}
    (check,) = [c for c in duplicate.checks if c.id == "duplicate_finger"]
    assert check.value >= check.threshold > 0
    assert check.guidance == (
        "This looks like the right index finger again: place the left index finger."
    )
    assert "duplicate_finger" in duplicate.feedback
    left = visit.step("finger-left")
    assert left.attempts_used == 1 and left.state == pb.STEP_STATE_PENDING
    assert left.finger == LEFT_INDEX

    assert captured_attempt(visit.finger(LEFT_INDEX, **GOOD)).accepted
    visit.sign()
    opened, transaction = visit.open(visit.finalize().receipt)
    assert sorted(f.position for f in transaction.fingers) == [RIGHT_INDEX, LEFT_INDEX]
    attempts = [r.fields for r in opened.audit_records if r.kind.value == "attempt"]
    refused = [a for a in attempts if a.get("duplicate_of") == RIGHT_INDEX]
    assert len(refused) == 1 and refused[0]["failed_checks"] == ["duplicate_finger"]


def test_an_overridden_duplicate_is_kept_and_audited_with_the_reason(visit_factory) -> None:
    visit = visit_factory()
    visit.face()
    visit.finger(RIGHT_INDEX, **GOOD)
    duplicate = captured_attempt(visit.finger(LEFT_INDEX, presented=RIGHT_INDEX, **GOOD))
    overridden = visit.override(duplicate.attempt_id, "left hand missing, confirmed on the card")
    assert overridden.attempt.accepted and overridden.attempt.kept
    assert visit.step("finger-left").state == pb.STEP_STATE_DONE
    visit.sign()
    opened, _ = visit.open(visit.finalize().receipt)
    (override,) = [r for r in opened.audit_records if r.kind.value == "override"]
    assert override.fields["attempt_id"] == duplicate.attempt_id
    assert override.fields["reason"] == "left hand missing, confirmed on the card"
    assert override.operator_id == "op-e2e"

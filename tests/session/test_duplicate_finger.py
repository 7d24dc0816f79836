"""The duplicate-finger check of an enrollment: a print that matches a finger already accepted in the
visit is refused as duplicate_finger with guidance naming both fingers, counts as an attempt, is audited
with its score, and the operator may override it with a reason; another finger passes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from kitd.locale import english
from kitd.matching.extraction import extract_template
from kitd.matching.thresholds import threshold_for
from kitd.policy import PolicySet, load_policies
from kitd.policy.model import DuplicateFingerCheck
from kitd.session.comparisons import DUPLICATE_FINGER
from kitd.session.model import CaptureKind, FingerPayload, StepState
from kitd.session.session import Session
from kitsim.prints.impression import Placement, render
from kitsim.prints.master import master_print

RIGHT_INDEX, LEFT_INDEX, LEFT_MIDDLE = 2, 7, 8


@pytest.fixture(scope="module")
def policies() -> PolicySet:
    return load_policies()


def payload(person: str, finger: int, seed: int) -> FingerPayload:
    pixels = render(master_print(person, finger), Placement(quality=0.85, seed=seed))
    return FingerPayload(pixels, 500, extract_template(pixels))


def visit(policies: PolicySet) -> tuple[Session, list[tuple[str, dict[str, Any]]]]:
    records: list[tuple[str, dict[str, Any]]] = []
    s = Session(
        policies.for_visit("be-eid", 40),
        40,
        "op-17",
        on_record=lambda kind, fields: records.append((kind, fields)),
    )
    return s, records


def capture(s: Session, asked: int, presented: FingerPayload):
    step = s.step_for(CaptureKind.FINGER, asked)
    s.begin(step)
    return s.record_attempt(step, presented, 70, ())


def test_the_right_index_again_as_the_left_index_is_a_duplicate(policies: PolicySet) -> None:
    s, records = visit(policies)
    capture(s, RIGHT_INDEX, payload("dup-anna", RIGHT_INDEX, 1))
    attempt = capture(s, LEFT_INDEX, payload("dup-anna", RIGHT_INDEX, 2))
    assert not attempt.accepted
    (check,) = [c for c in attempt.checks if c.id == DUPLICATE_FINGER]
    assert not check.passed
    assert check.value >= check.threshold == threshold_for(0.0001)
    assert check.guidance is not None
    assert english(check.guidance) == (
        "This looks like the right index finger again: place the left index finger."
    )
    assert DUPLICATE_FINGER in attempt.feedback
    left = s.step_by_id("finger-left")
    assert left.attempts_used == 1 and left.state is StepState.PENDING
    audited = [f for kind, f in records if kind == "attempt" and f["finger"] == LEFT_INDEX]
    assert audited[0]["failed_checks"] == [DUPLICATE_FINGER]
    assert audited[0]["duplicate_of"] == RIGHT_INDEX
    assert audited[0]["match_score"] == check.value


def test_the_left_index_asked_for_then_passes(policies: PolicySet) -> None:
    s, _ = visit(policies)
    capture(s, RIGHT_INDEX, payload("dup-anna", RIGHT_INDEX, 1))
    capture(s, LEFT_INDEX, payload("dup-anna", RIGHT_INDEX, 2))
    attempt = capture(s, LEFT_INDEX, payload("dup-anna", LEFT_INDEX, 3))
    assert attempt.accepted
    assert s.step_by_id("finger-left").state is StepState.DONE


def test_the_operator_overrides_a_duplicate_with_a_reason(policies: PolicySet) -> None:
    s, records = visit(policies)
    capture(s, RIGHT_INDEX, payload("dup-anna", RIGHT_INDEX, 1))
    attempt = capture(s, LEFT_INDEX, payload("dup-anna", RIGHT_INDEX, 2))
    s.override(attempt.attempt_id, "twin prints confirmed by eye", "op-22")
    assert attempt.accepted and attempt.kept
    assert s.step_by_id("finger-left").state is StepState.DONE
    override = next(f for kind, f in records if kind == "override")
    assert override["attempt_id"] == attempt.attempt_id
    assert override["operator_id"] == "op-22"


def test_a_duplicate_after_the_fallback_finger_is_caught_too(policies: PolicySet) -> None:
    # Three low-quality left index prints move the left hand to its middle finger.
    s2, _ = visit(policies)
    capture(s2, RIGHT_INDEX, payload("dup-bart", RIGHT_INDEX, 1))
    step = s2.step_for(CaptureKind.FINGER, LEFT_INDEX)
    for seed in (2, 3, 4):
        s2.begin(step)
        s2.record_attempt(step, payload("dup-bart", LEFT_INDEX, seed), 5, ())
    assert step.finger == LEFT_MIDDLE
    attempt = capture(s2, LEFT_MIDDLE, payload("dup-bart", RIGHT_INDEX, 5))
    assert DUPLICATE_FINGER in attempt.feedback


def test_a_policy_without_the_check_accepts_the_same_finger_twice(policies: PolicySet) -> None:
    eid = policies.for_visit("be-eid", 40)
    fingers = dataclasses.replace(eid.fingers, duplicate_check=DuplicateFingerCheck(enabled=False))
    s = Session(dataclasses.replace(eid, fingers=fingers), 40, "op-17")
    capture(s, RIGHT_INDEX, payload("dup-anna", RIGHT_INDEX, 1))
    assert capture(s, LEFT_INDEX, payload("dup-anna", RIGHT_INDEX, 2)).accepted

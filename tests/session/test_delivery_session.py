"""A card-delivery visit: the fingerprint check against the reference comes first, the right finger
passes it, another finger fails it and after the policy's attempts the visit ends not verified with
nothing kept; the check cannot be overridden, and a delivery needs its reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kitd.delivery.reference import DeliveryReference
from kitd.errors import InvalidArgument, StepNotAllowed
from kitd.matching.extraction import extract_template
from kitd.matching.thresholds import threshold_for
from kitd.policy import PolicySet, load_policies
from kitd.session.comparisons import FINGER_MATCH
from kitd.session.model import CaptureKind, FingerPayload, SessionState, StepState
from kitd.session.packaging import visit_contents
from kitd.session.plan import VERIFY_STEP
from kitd.session.session import Session
from kitsim.prints.impression import Placement, render
from kitsim.prints.master import master_print

RIGHT_INDEX = 2


@pytest.fixture(scope="module")
def policies() -> PolicySet:
    return load_policies()


def payload(person: str, seed: int) -> FingerPayload:
    pixels = render(master_print(person, RIGHT_INDEX), Placement(quality=0.85, seed=seed))
    return FingerPayload(pixels, 500, extract_template(pixels))


def reference(person: str = "deliv-anna") -> DeliveryReference:
    now = datetime.now(UTC)
    return DeliveryReference(
        "ref-1",
        "kit-1",
        "APP-1",
        RIGHT_INDEX,
        payload(person, 100).template,  # type: ignore[arg-type]
        now - timedelta(days=1),
        now + timedelta(days=1),
    )


def delivery(policies: PolicySet) -> tuple[Session, list[tuple[str, dict[str, Any]]]]:
    records: list[tuple[str, dict[str, Any]]] = []
    s = Session(
        policies.for_visit("be-eid-delivery", 40),
        40,
        "op-17",
        on_record=lambda kind, fields: records.append((kind, fields)),
        reference=reference(),
    )
    return s, records


def verify(s: Session, presented: FingerPayload):
    step = s.step_for(CaptureKind.FINGER)
    s.begin(step)
    return s.record_attempt(step, presented, 60, ())


def test_the_fingerprint_check_comes_before_photo_and_signature(policies: PolicySet) -> None:
    s, _ = delivery(policies)
    assert [st.step_id for st in s.steps] == [VERIFY_STEP, "face", "signature"]
    assert s.steps[0].finger == RIGHT_INDEX


def test_the_right_finger_passes_the_check(policies: PolicySet) -> None:
    s, records = delivery(policies)
    attempt = verify(s, payload("deliv-anna", 1))
    assert attempt.accepted
    (check,) = [c for c in attempt.checks if c.id == FINGER_MATCH]
    assert check.passed and check.threshold == threshold_for(0.001)
    assert s.step_by_id(VERIFY_STEP).state is StepState.DONE
    assert s.verification is not None and s.verification.matched
    audited = next(f for kind, f in records if kind == "attempt")
    assert audited["matched"] is True and audited["match_score"] == check.value


def test_another_finger_fails_and_ends_the_visit_after_the_attempts(policies: PolicySet) -> None:
    s, records = delivery(policies)
    for seed in (1, 2):
        attempt = verify(s, payload("deliv-bart", seed))
        assert not attempt.accepted
        assert FINGER_MATCH in attempt.feedback
        assert s.state is SessionState.ACTIVE
    verify(s, payload("deliv-bart", 3))
    assert s.state is SessionState.NOT_VERIFIED
    assert "did not match" in s.end_reason
    assert all(a.payload is None for a in s.attempts)
    assert all(step.reference is None for step in s.steps)
    ended = next(f for kind, f in records if kind == "session_ended")
    assert ended["verification"]["matched"] is False
    assert ended["verification"]["attempts"] == 3


def test_the_check_cannot_be_overridden(policies: PolicySet) -> None:
    s, _ = delivery(policies)
    attempt = verify(s, payload("deliv-bart", 1))
    with pytest.raises(StepNotAllowed):
        s.override(attempt.attempt_id, "I know this person well")


def test_the_package_records_the_outcome_not_the_print(policies: PolicySet) -> None:
    s, _ = delivery(policies)
    verify(s, payload("deliv-anna", 1))
    contents = visit_contents(s, "kit-1")
    assert contents.fingers == ()
    assert contents.delivery is not None and contents.delivery.matched
    assert contents.delivery.reference_id == "ref-1"


def test_a_delivery_without_its_reference_is_refused(policies: PolicySet) -> None:
    with pytest.raises(InvalidArgument, match="reference download"):
        Session(policies.for_visit("be-eid-delivery", 40), 40, "op-17")
    with pytest.raises(InvalidArgument, match="no delivery reference"):
        Session(policies.for_visit("be-eid", 40), 40, "op-17", reference=reference())

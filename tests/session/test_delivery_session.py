"""A card-delivery visit: the fingerprint check against the reference comes first and asks each enrolled
finger (one per hand) with the policy's attempts; any attempt on either finger that matches verifies,
and every attempt's score, the finger that matched and how identity was checked are recorded. When no
print matches, a policy that allows it lets the operator check the citizen against the enrollment photo
with a reason; one that forbids it ends the visit not verified with nothing kept. The check cannot be
overridden, a delivery needs its reference, and a reference valid longer than the policy allows is
refused."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from kitd.delivery.errors import ReferenceValidityTooLong, VisualCheckNotAllowed
from kitd.delivery.reference import DeliveryReference, EnrolledFinger
from kitd.errors import InvalidArgument, StepNotAllowed
from kitd.matching.comparison import compare_templates
from kitd.matching.extraction import extract_template
from kitd.matching.thresholds import threshold_for
from kitd.policy import PolicySet, load_policies
from kitd.policy.loader import parse_policy
from kitd.policy.model import Policy
from kitd.session.comparisons import FINGER_MATCH
from kitd.session.model import (
    VERIFY_STEP,
    CaptureKind,
    FingerPayload,
    IdentityCheck,
    SessionState,
    StepState,
)
from kitd.session.packaging import visit_contents
from kitd.session.session import Session
from kitsim.prints.impression import Placement, render
from kitsim.prints.master import master_print

RIGHT_INDEX = 2
LEFT_INDEX = 7
PHOTO = b"\xff\xd8\xff\xe0 an enrollment photo"


@pytest.fixture(scope="module")
def policies() -> PolicySet:
    return load_policies()


def delivery_policy(**changes: Any) -> Policy:
    """be-eid-delivery as its file says, with `changes` to its [delivery] and [delivery.visual_check]."""
    folder = resources.files("kitd.policy") / "profiles"
    table = tomllib.loads((folder / "be-eid-delivery.toml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key.startswith("visual_check_"):
            table["delivery"]["visual_check"][key.removeprefix("visual_check_")] = value
        else:
            table["delivery"][key] = value
    return parse_policy(table, "be-eid-delivery.toml")


def payload(person: str, seed: int, finger: int = RIGHT_INDEX) -> FingerPayload:
    pixels = render(master_print(person, finger), Placement(quality=0.85, seed=seed))
    return FingerPayload(pixels, 500, extract_template(pixels))


def reference(
    person: str = "deliv-anna", *, photo: bytes = PHOTO, valid_days: float = 2
) -> DeliveryReference:
    now = datetime.now(UTC)
    fingers = []
    for finger in (RIGHT_INDEX, LEFT_INDEX):
        template = payload(person, 100, finger).template
        assert template is not None
        fingers.append(EnrolledFinger(finger, template))
    issued = now - timedelta(days=1)
    return DeliveryReference(
        "ref-1",
        "kit-1",
        "APP-1",
        tuple(fingers),
        issued,
        issued + timedelta(days=valid_days),
        photo,
    )


def delivery(
    policy: Policy, ref: DeliveryReference | None = None
) -> tuple[Session, list[tuple[str, dict[str, Any]]]]:
    records: list[tuple[str, dict[str, Any]]] = []
    s = Session(
        policy,
        40,
        "op-17",
        on_record=lambda kind, fields: records.append((kind, fields)),
        reference=ref or reference(),
    )
    return s, records


def verify(s: Session, presented: FingerPayload, quality: int = 60):
    step = s.step_for(CaptureKind.FINGER)
    s.begin(step)
    return s.record_attempt(step, presented, quality, ())


def fail_every_attempt(s: Session) -> None:
    for seed in range(1, 7):
        verify(s, payload("deliv-bart", seed, s.steps[0].finger or RIGHT_INDEX))


def test_the_fingerprint_check_comes_before_photo_and_signature(policies: PolicySet) -> None:
    s, _ = delivery(policies.for_visit("be-eid-delivery", 40))
    assert [st.step_id for st in s.steps] == [VERIFY_STEP, "face", "signature"]
    assert s.steps[0].candidates == [RIGHT_INDEX, LEFT_INDEX]
    assert s.steps[0].finger == RIGHT_INDEX


def test_the_right_finger_passes_the_check(policies: PolicySet) -> None:
    s, records = delivery(policies.for_visit("be-eid-delivery", 40))
    attempt = verify(s, payload("deliv-anna", 1))
    assert attempt.accepted
    (check,) = [c for c in attempt.checks if c.id == FINGER_MATCH]
    assert check.passed and check.threshold == threshold_for(0.001)
    assert s.step_by_id(VERIFY_STEP).state is StepState.DONE
    v = s.verification
    assert v is not None and v.matched and v.matched_finger == RIGHT_INDEX
    assert v.method is IdentityCheck.FINGERPRINT
    audited = next(f for kind, f in records if kind == "attempt")
    assert audited["matched"] is True and audited["match_score"] == check.value


def test_a_reference_without_the_ridge_flow_is_compared_on_minutiae_alone(
    policies: PolicySet,
) -> None:
    # An older back office's record carries no ridge flow for one finger: every comparison of the
    # visit then leaves the flow out and meets the minutiae thresholds.
    full = reference()
    first, second = full.fingers
    older = dataclasses.replace(
        full, fingers=(EnrolledFinger(first.finger, first.template.without_flow()), second)
    )
    s, _ = delivery(policies.for_visit("be-eid-delivery", 40), older)
    assert all(t.flow is None for t in s.steps[0].references.values())
    presented = payload("deliv-anna", 1)
    attempt = verify(s, presented)
    (check,) = [c for c in attempt.checks if c.id == FINGER_MATCH]
    assert check.threshold == threshold_for(0.001, ridge_flow=False)
    assert presented.template is not None
    alone = compare_templates(presented.template, first.template.without_flow())
    assert not alone.ridge_flow and check.value == round(alone.score, 2)
    assert attempt.accepted


def test_the_other_enrolled_finger_verifies_when_the_first_fails_every_attempt(
    policies: PolicySet,
) -> None:
    s, records = delivery(policies.for_visit("be-eid-delivery", 40))
    for seed in (1, 2, 3):
        assert not verify(s, payload("deliv-bart", seed)).accepted
    assert s.state is SessionState.ACTIVE
    assert s.steps[0].finger == LEFT_INDEX
    assert ("finger_fallback", {"operator_id": "op-17", "step": VERIFY_STEP, "next_finger": 7}) in [
        (kind, fields) for kind, fields in records
    ]
    attempt = verify(s, payload("deliv-anna", 4, LEFT_INDEX))
    assert attempt.accepted and attempt.finger == LEFT_INDEX and attempt.number == 1
    v = s.verification
    assert v is not None and v.matched_finger == LEFT_INDEX
    assert [(t.finger, t.number, t.matched) for t in v.tries] == [
        (2, 1, False),
        (2, 2, False),
        (2, 3, False),
        (7, 1, True),
    ]
    assert v.score == max(t.score for t in v.tries if t.score is not None) >= v.threshold
    assert s.next_step is not None and s.next_step.step_id == "face"


def test_a_print_below_the_quality_minimum_is_an_attempt_without_a_score(
    policies: PolicySet,
) -> None:
    s, records = delivery(policies.for_visit("be-eid-delivery", 40))
    attempt = verify(s, payload("deliv-anna", 1), quality=5)
    assert not attempt.accepted
    assert s.verification is not None
    assert [(t.score, t.matched) for t in s.verification.tries] == [(None, False)]
    assert next(f for kind, f in records if kind == "attempt")["compared"] is False


def test_no_match_on_either_finger_ends_the_visit_where_the_policy_forbids_the_visual_check() -> (
    None
):
    s, records = delivery(delivery_policy(visual_check_allowed=False))
    fail_every_attempt(s)
    assert s.state is SessionState.NOT_VERIFIED
    assert "neither the right index finger nor the left index finger matched" in s.end_reason
    assert all(a.payload is None for a in s.attempts)
    assert all(not step.references for step in s.steps)
    ended = next(f for kind, f in records if kind == "session_ended")["verification"]
    assert (ended["matched"], ended["attempts"], ended["identity_check"]) == (False, 6, "none")
    assert [e["finger"] for e in ended["scores"]] == [2, 2, 2, 7, 7, 7]


def test_the_visual_check_is_refused_where_the_policy_forbids_it() -> None:
    s, _ = delivery(delivery_policy(visual_check_allowed=False))
    verify(s, payload("deliv-bart", 1))
    with pytest.raises(VisualCheckNotAllowed, match="allows no visual identity check"):
        s.check_identity_visually(confirmed=True, reason="looks like the photo on the card")
    with pytest.raises(VisualCheckNotAllowed):
        s.enrollment_photo()


def test_the_visual_check_waits_until_every_fingerprint_attempt_failed(
    policies: PolicySet,
) -> None:
    s, _ = delivery(policies.for_visit("be-eid-delivery", 40))
    verify(s, payload("deliv-bart", 1))
    with pytest.raises(VisualCheckNotAllowed, match="attempts remain"):
        s.check_identity_visually(confirmed=True, reason="looks like the photo on the card")


def test_after_every_attempt_failed_the_operator_confirms_identity_against_the_photo(
    policies: PolicySet,
) -> None:
    s, records = delivery(policies.for_visit("be-eid-delivery", 40))
    fail_every_attempt(s)
    assert s.state is SessionState.ACTIVE
    assert s.step_by_id(VERIFY_STEP).state is StepState.EXHAUSTED
    assert s.enrollment_photo() == PHOTO
    with pytest.raises(InvalidArgument, match="at least 10 characters"):
        s.check_identity_visually(confirmed=True, reason="ok")
    s.check_identity_visually(confirmed=True, reason="face, scar and birth date match the photo")
    v = s.verification
    assert v is not None and v.method is IdentityCheck.VISUAL_CHECK and not v.matched
    assert s.step_by_id(VERIFY_STEP).state is StepState.DONE
    assert s.next_step is not None and s.next_step.step_id == "face"
    audited = next(f for kind, f in records if kind == "identity_check")
    assert audited == {
        **audited,
        "method": "visual_check",
        "confirmed": True,
        "reason": "face, scar and birth date match the photo",
        "operator_id": "op-17",
        "fingerprint_attempts": 6,
    }
    contents = visit_contents(s, "kit-1")
    assert contents.delivery is not None
    assert contents.delivery.identity_check == "visual_check"
    assert contents.delivery.visual_check_reason == "face, scar and birth date match the photo"
    assert contents.delivery.visual_check_operator == "op-17"
    assert [finger for finger, _number, _score in contents.delivery.scores] == [2, 2, 2, 7, 7, 7]
    with pytest.raises(VisualCheckNotAllowed, match="already checked"):
        s.check_identity_visually(
            confirmed=True, reason="face, scar and birth date match the photo"
        )


def test_a_visual_check_that_does_not_confirm_ends_the_visit_not_verified(
    policies: PolicySet,
) -> None:
    s, records = delivery(policies.for_visit("be-eid-delivery", 40))
    fail_every_attempt(s)
    s.check_identity_visually(confirmed=False, reason="the photo shows someone else")
    assert s.state is SessionState.NOT_VERIFIED
    assert "visual check" in s.end_reason
    assert all(a.payload is None for a in s.attempts)
    ended = next(f for kind, f in records if kind == "session_ended")["verification"]
    assert ended["identity_check"] == "none"
    assert ended["visual_check"] == {
        "confirmed": False,
        "reason": "the photo shows someone else",
        "operator_id": "op-17",
    }


def test_without_a_photo_in_the_reference_no_visual_check_is_offered(
    policies: PolicySet,
) -> None:
    s, _ = delivery(policies.for_visit("be-eid-delivery", 40), reference(photo=b""))
    assert s.verification is not None and not s.verification.visual_check_available
    fail_every_attempt(s)
    assert s.state is SessionState.NOT_VERIFIED


def test_a_policy_may_use_only_the_first_enrolled_finger() -> None:
    s, _ = delivery(delivery_policy(enrolled_fingers=1, visual_check_allowed=False))
    assert s.steps[0].candidates == [RIGHT_INDEX]
    for seed in (1, 2, 3):
        verify(s, payload("deliv-bart", seed))
    assert s.state is SessionState.NOT_VERIFIED
    assert "the right index finger did not match" in s.end_reason


def test_a_reference_valid_longer_than_the_policy_allows_is_refused(policies: PolicySet) -> None:
    policy = policies.for_visit("be-eid-delivery", 40)
    assert policy.delivery.max_reference_validity_days == 30
    with pytest.raises(ReferenceValidityTooLong) as refused:
        delivery(policy, reference(valid_days=36500))
    assert refused.value.reason == "REFERENCE_VALIDITY_TOO_LONG"
    assert "36500 days" in str(refused.value) and "(30 days)" in str(refused.value)


def test_the_check_cannot_be_overridden(policies: PolicySet) -> None:
    s, _ = delivery(policies.for_visit("be-eid-delivery", 40))
    attempt = verify(s, payload("deliv-bart", 1))
    with pytest.raises(StepNotAllowed):
        s.override(attempt.attempt_id, "I know this person well")


def test_the_package_records_the_outcome_not_the_print(policies: PolicySet) -> None:
    s, _ = delivery(policies.for_visit("be-eid-delivery", 40))
    verify(s, payload("deliv-anna", 1))
    contents = visit_contents(s, "kit-1")
    assert contents.fingers == ()
    assert contents.delivery is not None and contents.delivery.matched
    assert contents.delivery.reference_id == "ref-1"
    assert contents.delivery.identity_check == "fingerprint"
    assert contents.delivery.finger == RIGHT_INDEX
    assert len(contents.delivery.scores) == 1


def test_a_delivery_without_its_reference_is_refused(policies: PolicySet) -> None:
    with pytest.raises(InvalidArgument, match="reference download"):
        Session(policies.for_visit("be-eid-delivery", 40), 40, "op-17")
    with pytest.raises(InvalidArgument, match="no delivery reference"):
        Session(policies.for_visit("be-eid", 40), 40, "op-17", reference=reference())

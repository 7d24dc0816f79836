"""A visit's plan: whether the policy can start it, the steps it asks for at the applicant's age, in
order, and which of them a capture feeds. Pure: it reads the policy and the steps, never records anything."""

from __future__ import annotations

from kitd.delivery.reference import DeliveryReference
from kitd.errors import InvalidArgument, StepNotAllowed
from kitd.locale.message import Message
from kitd.matching.thresholds import threshold_for
from kitd.policy.model import Policy, finger_of, finger_position, finger_title
from kitd.session.model import CaptureKind, Step, StepState, Verification

# The step id of a delivery's fingerprint verification.
VERIFY_STEP = "verify-finger"
SETTLED = frozenset({StepState.DONE, StepState.EXCEPTED, StepState.SKIPPED})


def plan_steps(policy: Policy, age: int, reference: DeliveryReference | None) -> list[Step]:
    steps: list[Step] = []
    if reference is not None:
        # The identity check comes first: no photo or signature of receipt for someone else.
        finger = reference.finger
        verify = Step(
            VERIFY_STEP,
            CaptureKind.FINGER,
            "fingerprint check",
            policy.delivery.max_attempts,
            hand=finger_of(finger)[0],
            candidates=[finger],
            reference=reference.template,
        )
        verify.min_quality = policy.delivery.min_quality
        steps.append(verify)
    if policy.face.required:
        steps.append(Step("face", CaptureKind.FACE, "photo", policy.face.max_attempts))
    if policy.fingers_required(age):
        for hand in policy.fingers.hands:
            candidates = [finger_position(hand, f) for f in policy.fingers.order]
            step = Step(
                f"finger-{hand.value}",
                CaptureKind.FINGER,
                f"{hand.value} hand",
                policy.fingers.max_attempts,
                hand=hand,
                candidates=candidates,
            )
            step.min_quality = policy.fingers.threshold(step.finger)
            steps.append(step)
    if policy.signature_required(age):
        steps.append(
            Step("signature", CaptureKind.SIGNATURE, "signature", policy.signature.max_attempts)
        )
    return steps


def is_settled(step: Step, policy: Policy) -> bool:
    """Done, excepted or skipped; or a hand whose attempts are used up with its best print kept."""
    if step.state in SETTLED:
        return True
    return (
        step.state is StepState.EXHAUSTED
        and step.kind is CaptureKind.FINGER
        and step.step_id != VERIFY_STEP
        and step.kept is not None
        and policy.fingers.accept_best_when_exhausted
    )


def step_for(
    steps: list[Step], policy: Policy, age: int, kind: CaptureKind, finger: int = 0
) -> Step:
    """The step a capture of `kind` (and `finger`, 0 = the next one asked) would feed."""
    of_kind = [s for s in steps if s.kind is kind]
    if not of_kind:
        raise StepNotAllowed(f"{policy.title} for age {age} does not ask for a {kind.value}")
    if kind is not CaptureKind.FINGER:
        return of_kind[0]
    open_steps = [s for s in of_kind if s.state not in SETTLED | {StepState.EXHAUSTED}]
    if finger == 0:
        if not open_steps:
            raise StepNotAllowed("every fingerprint of this visit is already settled")
        return open_steps[0]
    hand, _ = finger_of(finger)
    for step in of_kind:
        if step.hand is hand:
            if step in open_steps and step.finger == finger:
                return step
            asked = finger_title(step.finger) if step in open_steps else "nothing more"
            raise StepNotAllowed(
                f"the policy asks for {asked} on the {hand.value} hand, not the "
                f"{finger_title(finger)}",
                expected_finger=str(step.finger),
            )
    raise StepNotAllowed(f"this visit takes no print of the {hand.value} hand")


def check_visit(
    policy: Policy, age: int, operator_id: str, reference: DeliveryReference | None
) -> None:
    """Raises InvalidArgument when the policy cannot start this visit, saying why."""
    if not policy.applies_to(age):
        raise InvalidArgument(f"{policy.id} is not for age {age}")
    if policy.delivery.required and reference is None:
        raise InvalidArgument(
            f"{policy.title} verifies the citizen against the enrollment: it needs the "
            "reference download the back office sent for this card"
        )
    if reference is not None and not policy.delivery.required:
        raise InvalidArgument(f"{policy.title} takes no delivery reference")
    if not operator_id.strip():
        raise InvalidArgument(Message("error.operator_required"))


def verification_for(policy: Policy, reference: DeliveryReference | None) -> Verification | None:
    """A delivery's verification, nothing compared yet; None for a visit without a reference."""
    if reference is None:
        return None
    return Verification(
        reference.reference_id, reference.finger, threshold_for(policy.delivery.false_match_rate)
    )

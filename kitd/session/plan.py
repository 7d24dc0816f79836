"""A visit's plan: whether the policy can start it, the steps it asks for at the applicant's age, in
order, and which of them a capture feeds. Pure: it reads the policy and the steps, never records anything.
"""

from __future__ import annotations

from kitd.delivery.reference import DeliveryReference, check_validity
from kitd.errors import InvalidArgument, StepNotAllowed
from kitd.locale.message import Message
from kitd.matching.thresholds import threshold_for
from kitd.policy.model import Hand, Policy, finger_label, finger_of, finger_position
from kitd.session.model import STEP_TITLES, VERIFY_STEP, CaptureKind, Step, StepState, Verification

# A step finished by a result or a decision: done, excepted or skipped. A settled step (`is_settled`)
# is a finished one, or a hand whose attempts are used up with its best print kept.
FINISHED = frozenset({StepState.DONE, StepState.EXCEPTED, StepState.SKIPPED})


def hand_label(hand: Hand) -> Message:
    """A hand's name for people ("right hand"), rendered in their language."""
    return Message(STEP_TITLES[f"finger-{hand.value}"])


def plan_steps(policy: Policy, age: int, reference: DeliveryReference | None) -> list[Step]:
    """The steps a visit asks for at the applicant's age, in order; a delivery's check comes first."""
    steps: list[Step] = []
    if reference is not None:
        # The identity check comes first: no photo or signature of receipt for someone else. Each
        # enrolled finger the policy uses gets its attempts, the first one first.
        enrolled = reference.fingers[: policy.delivery.enrolled_fingers]
        verify = Step(
            VERIFY_STEP,
            CaptureKind.FINGER,
            "fingerprint check",
            policy.delivery.max_attempts,
            candidates=[f.finger for f in enrolled],
            references={f.finger: reference.compared_template(f) for f in enrolled},
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
    if step.state in FINISHED:
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
        raise StepNotAllowed(
            Message.of(f"error.not_asked.{kind.value}", title=policy.title, age=age)
        )
    if kind is not CaptureKind.FINGER:
        return of_kind[0]
    open_steps = [s for s in of_kind if s.state not in FINISHED | {StepState.EXHAUSTED}]
    if finger == 0:
        if not open_steps:
            raise StepNotAllowed(Message("error.fingers_settled"))
        return open_steps[0]
    hand, _ = finger_of(finger)
    for step in of_kind:
        if step.step_id == VERIFY_STEP:
            return _enrolled_finger_step(step, finger, is_open=step in open_steps)
        if step.hand is hand:
            return _hand_step(step, hand, finger, is_open=step in open_steps)
    raise StepNotAllowed(Message.of("error.no_print_of_hand", hand=hand_label(hand)))


def _enrolled_finger_step(step: Step, finger: int, *, is_open: bool) -> Step:
    """A delivery's check, when `finger` is the enrolled finger it asks for now, whatever the hand."""
    if not is_open:
        raise StepNotAllowed(Message("error.fingers_settled"))
    if step.finger == finger:
        return step
    raise StepNotAllowed(
        Message.of(
            "error.finger_not_next",
            asked=finger_label(step.finger),
            hand=hand_label(finger_of(step.finger)[0]),
            finger=finger_label(finger),
        ),
        expected_finger=str(step.finger),
    )


def _hand_step(step: Step, hand: Hand, finger: int, *, is_open: bool) -> Step:
    """A hand's step, when it is open and `finger` is the one it asks for now."""
    if is_open and step.finger == finger:
        return step
    hands = {"hand": hand_label(hand), "finger": finger_label(finger)}
    message = (
        Message.of("error.finger_not_next", asked=finger_label(step.finger), **hands)
        if is_open
        else Message.of("error.hand_finished", **hands)
    )
    raise StepNotAllowed(message, expected_finger=str(step.finger))


def check_visit(
    policy: Policy, age: int, operator_id: str, reference: DeliveryReference | None
) -> None:
    """Raises InvalidArgument when the policy cannot start this visit, saying why."""
    if not policy.applies_to(age):
        raise InvalidArgument(Message.of("error.not_for_age", profile=policy.id, age=age))
    if policy.delivery.required and reference is None:
        raise InvalidArgument(Message.of("error.reference_required", title=policy.title))
    if reference is not None and not policy.delivery.required:
        raise InvalidArgument(Message.of("error.reference_unexpected", title=policy.title))
    if reference is not None:
        check_validity(reference, policy.delivery.max_reference_validity_days)
    if not operator_id.strip():
        raise InvalidArgument(Message("error.operator_required"))


def verification_for(policy: Policy, reference: DeliveryReference | None) -> Verification | None:
    """A delivery's verification, nothing compared yet; None for a visit without a reference."""
    if reference is None:
        return None
    rule = policy.delivery
    return Verification(
        reference.reference_id,
        reference.positions[: rule.enrolled_fingers],
        threshold_for(rule.false_match_rate, ridge_flow=reference.ridge_flow),
        rule.max_attempts,
        visual_check_available=rule.visual_check.allowed and bool(reference.photo),
    )

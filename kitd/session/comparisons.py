"""The verdict on a finger attempt: its quality against the step's minimum, then a comparison of the print
(kitd.matching, on the template the capture flow extracted) — with a delivery's enrollment reference
(finger_match), or with the prints this visit kept already (duplicate_finger).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kitd.locale.message import Message
from kitd.matching.comparison import compare_templates, similarity
from kitd.matching.thresholds import threshold_for
from kitd.policy.model import Policy, finger_label
from kitd.quality.check import CheckResult
from kitd.session.model import (
    FingerPayload,
    Payload,
    Step,
    Verification,
    VerificationTry,
)

# The check (and feedback code) of a print that matches a finger already taken in this visit.
DUPLICATE_FINGER = "duplicate_finger"
# The check (and feedback code) of a delivery print compared with its enrollment reference.
FINGER_MATCH = "finger_match"


@dataclass(frozen=True)
class FingerVerdict:
    """Whether a finger attempt is accepted, with the checks and feedback the comparison added, and a
    delivery's verification with this attempt counted (None for any other visit).
    """

    accepted: bool
    checks: tuple[CheckResult, ...]
    feedback: tuple[str, ...]
    verification: Verification | None = None
    # What the audit record says of the comparison (score, threshold, the finger matched).
    audit: dict[str, Any] = field(default_factory=dict)


def judge_finger(
    policy: Policy,
    step: Step,
    payload: Payload,
    *,
    quality: int,
    checks: tuple[CheckResult, ...],
    feedback: tuple[str, ...],
    verification: Verification | None,
    settled_elsewhere: Iterable[Step],
) -> FingerVerdict:
    """The verdict on a finger attempt; nothing passed in changes (a delivery's verification with the
    attempt counted comes back in the verdict). `settled_elsewhere`: the visit's other settled steps,
    whose kept prints duplicate_finger compares.
    """
    accepted = quality >= step.min_quality
    if step.references:
        assert verification is not None
        number = step.attempts_used + 1
        if not accepted:
            uncompared = VerificationTry(step.finger, number, score=None, matched=False)
            return FingerVerdict(
                accepted=False,
                checks=checks,
                feedback=feedback,
                verification=verification.tried(uncompared),
                audit={"compared": False},
            )
        match = _finger_match(policy, verification, step, payload)
        verification = verification.tried(
            VerificationTry(step.finger, number, score=match.value, matched=match.passed)
        )
        return FingerVerdict(
            accepted=match.passed,
            checks=(*checks, match),
            feedback=feedback if match.passed else (*feedback, FINGER_MATCH),
            verification=verification,
            audit={
                "compared": True,
                "match_score": match.value,
                "match_threshold": match.threshold,
                "matched": match.passed,
                "best_score": verification.score,
            },
        )
    duplicate = _duplicate_finger(policy, step, payload, settled_elsewhere) if accepted else None
    if duplicate is None:
        return FingerVerdict(accepted=accepted, checks=checks, feedback=feedback)
    check, matched = duplicate
    return FingerVerdict(
        accepted=False,
        checks=(*checks, check),
        feedback=(*feedback, DUPLICATE_FINGER),
        audit={
            "duplicate_of": matched,
            "match_score": check.value,
            "match_threshold": check.threshold,
        },
    )


def _finger_match(
    policy: Policy, verification: Verification, step: Step, payload: Payload
) -> CheckResult:
    """The finger_match check of a delivery print against the enrolled template of its finger."""
    reference = step.references[step.finger]
    template = payload.template if isinstance(payload, FingerPayload) else None
    score = similarity(template, reference) if template is not None else 0.0
    matched = score >= verification.threshold
    return CheckResult(
        id=FINGER_MATCH,
        value=round(score, 2),
        threshold=verification.threshold,
        passed=matched,
        # 0..100 for the operator: half way at the threshold, certain at twice the threshold.
        quality=min(100, int(100 * score / (2 * verification.threshold))),
        guidance=None
        if matched
        else Message.of(policy.delivery.guidance, finger=finger_label(step.finger)),
    )


def _duplicate_finger(
    policy: Policy, step: Step, payload: Payload, settled_elsewhere: Iterable[Step]
) -> tuple[CheckResult, int] | None:
    """A failed duplicate_finger check and the finger it matched, or None when it matches none."""
    rule = policy.fingers.duplicate_check
    if not rule.enabled or not isinstance(payload, FingerPayload) or payload.template is None:
        return None
    # Each comparison against the threshold of its kind (with the ridge flow or on minutiae alone); the
    # one furthest above its threshold is the duplicate.
    best: tuple[float, float, float, int] | None = None
    for other in settled_elsewhere:
        kept = other.kept
        if kept is None:
            continue
        kept_payload = kept.payload
        if not isinstance(kept_payload, FingerPayload) or kept_payload.template is None:
            continue
        found = compare_templates(payload.template, kept_payload.template)
        threshold = threshold_for(rule.false_match_rate, ridge_flow=found.ridge_flow)
        candidate = (found.score / threshold, found.score, threshold, kept.finger)
        best = candidate if best is None else max(best, candidate)
    if best is None or best[0] < 1.0:
        return None
    _, score, threshold, matched = best
    check = CheckResult(
        id=DUPLICATE_FINGER,
        value=round(score, 2),
        threshold=threshold,
        passed=False,
        quality=0,
        guidance=Message.of(
            rule.guidance, matched=finger_label(matched), asked=finger_label(step.finger)
        ),
    )
    return check, matched

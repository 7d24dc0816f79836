"""Turns a native measurement into a CheckResult: pass/fail on the native value, a 0-100 component, advice.

Pass/fail compares the native value with the limits exactly. The quality component is OFIQ-style, a
logistic curve of the signed margin to the nearest limit (50 at the limit), so it ranks frames for
auto-capture but never decides. This module must never measure images.
"""

from __future__ import annotations

import math

from kitd.quality.check import CheckResult
from kitd.quality.face.thresholds import Limits
from kitd.quality.face.vocabulary import (
    ADVICE,
    JPEG_QUALITY_ADVICE,
    MOTION_ADVICE,
    Advice,
    FaceCheck,
)


def margin(value: float, limits: Limits) -> float:
    """Distance inside the accepted range to the nearest limit; negative outside it."""
    margins = []
    if limits.min is not None:
        margins.append(value - limits.min)
    if limits.max is not None:
        margins.append(limits.max - value)
    return min(margins) if margins else math.inf


def quality_component(value: float, limits: Limits) -> int:
    """A check's 0-100 quality: a sigmoid of the value's margin inside its limits (0 if missing)."""
    m = margin(value, limits)
    if math.isnan(value):
        return 0
    if math.isinf(m):
        return 100
    z = max(-60.0, min(60.0, m / limits.scale))
    return round(100.0 / (1.0 + math.exp(-z)))


def nearest_threshold(value: float, limits: Limits) -> float:
    """The bound violated, or the nearest one when the value is inside."""
    candidates = [b for b in (limits.min, limits.max) if b is not None]
    if not candidates:
        return math.nan
    if limits.min is not None and value < limits.min:
        return limits.min
    if limits.max is not None and value > limits.max:
        return limits.max
    return min(candidates, key=lambda b: abs(value - b))


def judge(
    check: FaceCheck, value: float, limits: Limits, advice: Advice | None = None
) -> CheckResult:
    """The result of one check; a NaN value (could not be measured) fails.

    `advice` replaces the check's own (ADVICE) for a check that has more than one measure.
    """
    below = limits.min is not None and value < limits.min
    above = limits.max is not None and value > limits.max
    passed = not (below or above or math.isnan(value))
    advice = advice or ADVICE[check]
    guidance = (
        None if passed else (advice.too_low if below or math.isnan(value) else advice.too_high)
    )
    if not passed and not guidance:
        guidance = advice.too_high or advice.too_low
    return CheckResult(
        id=check.value,
        value=float(value),
        threshold=float(nearest_threshold(value, limits)),
        passed=passed,
        quality=quality_component(value, limits),
        guidance=guidance,
    )


def judge_sharpness(
    focus: float, motion: float, focus_limits: Limits, motion_limits: Limits
) -> CheckResult:
    """The sharpness check from its two measures: motion smear over its limit decides (advice: hold
    still), otherwise focus does (advice: focus).
    """
    moved = judge(FaceCheck.SHARPNESS, motion, motion_limits, MOTION_ADVICE)
    if not moved.passed and not math.isnan(motion):
        return moved
    return judge(FaceCheck.SHARPNESS, focus, focus_limits)


def judge_compression(
    blockiness: float, jpeg_quality: float, blockiness_limits: Limits, quality_limits: Limits
) -> CheckResult:
    """The compression check: a JPEG file's quality under its limit decides (NaN: not a JPEG file, or
    not known), otherwise the blockiness of the pixels does.
    """
    saved = judge(FaceCheck.COMPRESSION, jpeg_quality, quality_limits, JPEG_QUALITY_ADVICE)
    if not saved.passed and not math.isnan(jpeg_quality):
        return saved
    return judge(FaceCheck.COMPRESSION, blockiness, blockiness_limits)

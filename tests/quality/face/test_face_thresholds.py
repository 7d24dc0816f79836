"""Thresholds as data: policy overrides, and the 0-100 component that never decides pass/fail."""

from __future__ import annotations

import math

import pytest

from kitd.locale import english
from kitd.quality.check import CheckResult
from kitd.quality.face import FaceCheck, FaceThresholds, Limits
from kitd.quality.face.judgement import judge


def english_guidance(result: CheckResult) -> str:
    assert result.guidance is not None
    return english(result.guidance)


def test_a_policy_dict_overrides_only_what_it_names() -> None:
    t = FaceThresholds.from_dict(
        {"roll": {"min": -5, "max": 5}, "inter_eye_distance": {"min": 120}}
    )
    assert t.roll == Limits(-5.0, 5.0, FaceThresholds().roll.scale)
    assert t.inter_eye_distance.min == 120
    assert t.yaw == FaceThresholds().yaw


def test_unknown_check_ids_and_keys_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown face check"):
        FaceThresholds.from_dict({"rol": {"max": 5}})
    with pytest.raises(ValueError, match="unknown keys"):
        FaceThresholds.from_dict({"roll": {"maximum": 5}})


def test_thresholds_round_trip_through_a_dict() -> None:
    t = FaceThresholds.from_dict({"pitch": {"max": 4}})
    assert FaceThresholds.from_dict(t.to_dict()) == t


def test_pass_fail_is_decided_on_the_native_value_at_the_limit() -> None:
    limits = Limits(-8, 8, 2)
    assert judge(FaceCheck.ROLL, 8.0, limits).passed
    assert not judge(FaceCheck.ROLL, 8.01, limits).passed
    assert judge(FaceCheck.ROLL, 8.01, limits).threshold == 8


def test_quality_is_high_inside_low_outside_and_zero_when_unmeasured() -> None:
    limits = Limits(-8, 8, 2)
    assert judge(FaceCheck.ROLL, 0.0, limits).quality > 90
    assert judge(FaceCheck.ROLL, 12.0, limits).quality < 20
    unmeasured = judge(FaceCheck.ROLL, math.nan, limits)
    assert unmeasured.quality == 0 and not unmeasured.passed


def test_failed_checks_carry_directional_advice() -> None:
    limits = FaceThresholds().pitch
    assert "lift the chin" in english_guidance(judge(FaceCheck.PITCH, -10.0, limits))
    assert "lower the chin" in english_guidance(judge(FaceCheck.PITCH, 10.0, limits))
    assert judge(FaceCheck.PITCH, 0.0, limits).guidance is None

"""Any 8-bit grey image of a supported size gets a score and finite features, never an exception."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kitd.quality.finger import FingerQuality

QUALITY = FingerQuality()


@st.composite
def images(draw: st.DrawFn) -> np.ndarray:
    height = draw(st.integers(64, 300))
    width = draw(st.integers(64, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["noise", "flat", "speck", "stripes", "half", "dots"]))
    if kind == "noise":
        return rng.integers(0, 256, (height, width), dtype=np.uint8)
    if kind == "flat":
        return np.full((height, width), draw(st.integers(0, 255)), np.uint8)
    if kind == "stripes":
        x = np.arange(width)[None, :].repeat(height, 0)
        return (128 + 100 * np.sin(x / draw(st.floats(0.5, 20.0)))).astype(np.uint8)
    if kind == "dots":
        return ((rng.random((height, width)) < 0.01) * 255).astype(np.uint8)
    image = np.full((height, width), 255, np.uint8)
    if kind == "half":
        image[:, : draw(st.integers(1, width))] = 0
    else:
        y, x = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
        image[y : y + 30, x : x + 30] = draw(st.integers(0, 200))
    return image


@settings(max_examples=40, deadline=None)
@given(images())
def test_any_image_gets_a_score_in_range_and_finite_features(image: np.ndarray) -> None:
    assessment = QUALITY.assess(image)
    assert 0 <= assessment.score <= 100
    assert all(math.isfinite(value) for value in assessment.features.values())
    assert 0 <= QUALITY.live_estimate(image, 250) <= 100


def test_a_dark_strip_too_narrow_for_minutiae_scores_without_error() -> None:
    # Trimming the white margin leaves a 2-pixel strip: too small to shrink for the ridge flow.
    image = np.full((64, 64), 255, np.uint8)
    image[:, :2] = 0
    assessment = QUALITY.assess(image)
    assert 0 <= assessment.score <= 100
    assert assessment.features["FingerJetFX_MinutiaeCount"] == 0

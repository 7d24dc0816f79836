"""The assessment API the daemon uses: score, checks, feedback, live estimate and input errors."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from ridge_prints import PrintSpec, ridge_print

from kitd.locale import english
from kitd.quality.finger import Feedback, FingerprintImageError, FingerQuality
from kitd.quality.finger.features import FEATURE_NAMES


def _noised(image: NDArray[np.uint8], sigma: float) -> NDArray[np.uint8]:
    noise = np.random.default_rng(1).normal(0.0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def _dried(image: NDArray[np.uint8], share: float) -> NDArray[np.uint8]:
    # Dry skin leaves white gaps in the ridges: spots of platen where the ridge did not touch.
    rng = np.random.default_rng(2)
    spots = cv2.GaussianBlur(
        (rng.random(image.shape) < share * 0.05).astype(np.float32), (0, 0), 2.5
    )
    dried = image.copy()
    dried[spots > 0.01] = np.maximum(dried[spots > 0.01], 230)
    return dried


def test_a_print_gets_a_score_features_and_checks(
    quality: FingerQuality, good_print: NDArray[np.uint8]
) -> None:
    assessment = quality.assess(good_print, ppi=500, min_score=10)
    assert 0 <= assessment.score <= 100
    assert assessment.score >= 30
    assert list(assessment.features) == list(FEATURE_NAMES)
    assert assessment.checks[0].id == "nfiq_score"
    assert assessment.checks[0].passed and assessment.checks[0].threshold == 10
    assert {check.id for check in assessment.checks[1:]} == {str(code) for code in Feedback}
    assert assessment.feedback == ()


def test_the_score_check_fails_below_the_callers_minimum(
    quality: FingerQuality, good_print: NDArray[np.uint8]
) -> None:
    score_check = quality.assess(good_print, min_score=100).checks[0]
    assert not score_check.passed
    assert score_check.threshold == 100
    assert score_check.guidance


def test_a_blank_image_is_empty_and_scores_zero(quality: FingerQuality) -> None:
    assessment = quality.assess(np.full((500, 400), 255, np.uint8))
    assert assessment.score == 0
    assert Feedback.EMPTY in assessment.feedback
    assert english(Feedback.EMPTY.message)


def test_a_uniform_grey_image_is_empty_and_low_contrast(quality: FingerQuality) -> None:
    assessment = quality.assess(np.full((500, 400), 128, np.uint8))
    assert assessment.score == 0
    assert {Feedback.EMPTY, Feedback.LOW_CONTRAST} <= set(assessment.feedback)


def test_a_dark_print_is_too_dark(quality: FingerQuality, good_print: NDArray[np.uint8]) -> None:
    dark = (good_print.astype(np.float64) * 0.3).astype(np.uint8)
    assert Feedback.TOO_DARK in quality.assess(dark).feedback


def test_a_small_contact_is_too_little_foreground(quality: FingerQuality) -> None:
    small = np.full((500, 400), 250, np.uint8)
    small[150:350, 120:280] = ridge_print(PrintSpec(width=160, height=200, finger=False))
    assert Feedback.SMALL_AREA in quality.assess(small).feedback


def test_a_print_in_a_corner_is_off_centre(quality: FingerQuality) -> None:
    corner = np.full((500, 400), 250, np.uint8)
    corner[:300, :240] = ridge_print(PrintSpec(width=240, height=300))
    assert Feedback.OFF_CENTRE in quality.assess(corner).feedback


def test_unbroken_ridges_have_too_few_minutiae(quality: FingerQuality) -> None:
    assessment = quality.assess(ridge_print(PrintSpec(minutiae=())))
    assert Feedback.FEW_MINUTIAE in assessment.feedback


def test_a_dried_print_is_reported_dry(
    quality: FingerQuality, good_print: NDArray[np.uint8]
) -> None:
    assert Feedback.DRY in quality.assess(_dried(good_print, 0.4)).feedback


def test_a_smeared_dark_print_is_reported_smudged(
    quality: FingerQuality, good_print: NDArray[np.uint8]
) -> None:
    # Wet skin: ridges spread into the valleys and everything darkens.
    smeared = cv2.erode(good_print, np.ones((3, 3), np.uint8))
    smeared = cv2.GaussianBlur((smeared * 0.75).astype(np.uint8), (0, 0), 1.5)
    assert Feedback.SMUDGED in quality.assess(_noised(np.asarray(smeared, np.uint8), 35)).feedback


def _blotched(image: NDArray[np.uint8], blotches: int) -> NDArray[np.uint8]:
    # Wet skin on an optical sensor: faint ridges, with dark patches where water filled the valleys.
    rng = np.random.default_rng(3)
    wet = 255.0 - (255.0 - image.astype(np.float32)) * 0.6
    ys, xs = np.nonzero(image < 128)
    for _ in range(blotches):
        i = int(rng.integers(len(xs)))
        centre = (int(xs[i]), int(ys[i]))
        cv2.ellipse(wet, centre, (30, 21), float(rng.uniform(0, 180)), 0, 360, 60.0, -1)
    blurred = cv2.GaussianBlur(np.clip(wet, 0, 255).astype(np.uint8), (0, 0), 1.0)
    return _noised(np.asarray(blurred, np.uint8), 10)


def test_a_light_print_with_wet_blotches_is_reported_smudged_not_dry(
    quality: FingerQuality, good_print: NDArray[np.uint8]
) -> None:
    # Its ridges cover less than a third of the finger area, which alone would read as dry skin; the
    # blotches say it is wet.
    assessment = quality.assess(_blotched(good_print, 14))
    assert Feedback.SMUDGED in assessment.feedback
    assert Feedback.DRY not in assessment.feedback
    smudged = next(c for c in assessment.checks if c.id == "smudged")
    assert smudged.value > smudged.threshold == 1.0
    # The same light print without the blotches is not wet.
    assert Feedback.SMUDGED not in quality.assess(_blotched(good_print, 0)).feedback


def test_a_dark_clear_print_is_not_smudged(
    quality: FingerQuality, good_print: NDArray[np.uint8]
) -> None:
    # Pressed hard: dark ridges, but the valleys between them stay open.
    dark = (good_print.astype(np.float32) * 0.55).astype(np.uint8)
    assert Feedback.SMUDGED not in quality.assess(dark).feedback


def test_every_feedback_code_has_operator_text() -> None:
    for code in Feedback:
        assert english(code.message).endswith(".")
        assert len(english(code.message)) > 20


@pytest.mark.parametrize(
    ("degrade", "levels"),
    [
        (lambda image, s: cv2.GaussianBlur(image, (0, 0), s), (3.0, 3.5, 4.5)),
        (_noised, (40.0, 60.0, 80.0)),
        (_dried, (0.2, 0.3, 0.4)),
    ],
    ids=["blurred", "noised", "dried"],
)
def test_degraded_versions_of_a_print_score_lower(
    quality: FingerQuality,
    good_print: NDArray[np.uint8],
    degrade: Callable[[NDArray[np.uint8], float], NDArray[np.uint8]],
    levels: tuple[float, ...],
) -> None:
    # The generated print is a noiseless cosine pattern, unlike any sensor's output; with real prints
    # in the training data a mild degradation can score a few points above it, so the strong end of
    # each degradation is what must score lower (real prints: test_finger_reference).
    original = quality.assess(good_print).score
    scores = [quality.assess(degrade(good_print, level)).score for level in levels]
    assert scores[-1] < original, (original, scores)
    assert scores[-1] < scores[0], scores


def test_the_live_estimate_ranks_a_print_above_a_blank_frame(
    quality: FingerQuality, good_print: NDArray[np.uint8]
) -> None:
    half = np.asarray(cv2.resize(good_print, (200, 250), interpolation=cv2.INTER_AREA), np.uint8)
    blank = np.full((250, 200), 250, np.uint8)
    assert quality.live_estimate(half, 250) > quality.live_estimate(blank, 250)
    assert 0 <= quality.live_estimate(good_print, 500) <= 100


def test_the_live_estimate_refuses_other_resolutions(
    quality: FingerQuality, good_print: NDArray[np.uint8]
) -> None:
    with pytest.raises(FingerprintImageError, match="ppi"):
        quality.live_estimate(good_print, 1000)


@pytest.mark.parametrize(
    ("pixels", "ppi", "message"),
    [
        (np.zeros((1, 1), np.uint8), 500, "too small"),
        (np.zeros((500, 400), np.uint16), 500, "uint16"),
        (np.zeros((500, 400, 3), np.uint8), 500, "one grey channel"),
        (np.zeros((500, 400), np.uint8), 1000, "1000 ppi"),
        (np.zeros((500, 400), np.uint8), 250, "250 ppi"),
        (np.zeros((1200, 1000), np.uint8), 500, "too large"),
    ],
    ids=["1x1", "16-bit", "colour", "1000ppi", "250ppi", "ten-print-card"],
)
def test_unsupported_images_raise_a_clear_error(
    quality: FingerQuality, pixels: NDArray[np.generic], ppi: int, message: str
) -> None:
    with pytest.raises(FingerprintImageError, match=message):
        quality.assess(pixels, ppi)  # type: ignore[arg-type]


def test_the_image_error_is_a_value_error() -> None:
    assert issubclass(FingerprintImageError, ValueError)

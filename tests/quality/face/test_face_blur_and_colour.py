"""The whole assessment on a compliant simulated portrait (the kit's neutral backdrop) with one defect
added: motion blur is told apart from defocus (and the operator is told which), and colour casts of
every hue fail natural_colour with its advice."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from kitd.quality.face import FaceAssessment, FaceAssessor, FaceCheck
from kitd.quality.face.degradations import blurred, colour_cast, motion_blurred
from kitd.quality.face.vocabulary import ADVICE, MOTION_ADVICE
from kitsim.camera.scene import Scene, render


@pytest.fixture(scope="module")
def portrait() -> NDArray[np.uint8]:
    return np.asarray(render(Scene(width=1280, height=720)), dtype=np.uint8)


@pytest.fixture(scope="module")
def portrait_assessment(assessor: FaceAssessor, portrait: NDArray[np.uint8]) -> FaceAssessment:
    return assessor.assess(portrait)


def test_the_simulated_portrait_is_compliant(portrait_assessment: FaceAssessment) -> None:
    assert portrait_assessment.compliant, portrait_assessment.failed


@pytest.mark.parametrize("direction", [(0, 1), (1, 0)], ids=["horizontal", "vertical"])
def test_motion_blur_fails_sharpness_as_motion_not_as_focus(
    assessor: FaceAssessor,
    portrait: NDArray[np.uint8],
    portrait_assessment: FaceAssessment,
    direction: tuple[int, int],
) -> None:
    a = assessor.assess(motion_blurred(*direction)(portrait, portrait_assessment))
    sharpness = a.check(FaceCheck.SHARPNESS)
    assert a.blur is not None
    # The motion measure is over its limit and decides; the advice is to hold still, not to focus.
    assert a.blur.motion > assessor.thresholds.motion.max  # type: ignore[operator]
    assert not sharpness.passed
    assert sharpness.value == a.blur.motion
    assert sharpness.guidance == MOTION_ADVICE.too_high
    assert ADVICE[FaceCheck.SHARPNESS].too_low not in a.guidance


def test_defocus_fails_sharpness_as_focus_not_as_motion(
    assessor: FaceAssessor, portrait: NDArray[np.uint8], portrait_assessment: FaceAssessment
) -> None:
    a = assessor.assess(blurred(portrait, portrait_assessment))
    sharpness = a.check(FaceCheck.SHARPNESS)
    assert a.blur is not None
    assert a.blur.motion <= assessor.thresholds.motion.max  # type: ignore[operator]
    assert a.blur.focus < assessor.thresholds.sharpness.min  # type: ignore[operator]
    assert not sharpness.passed
    assert sharpness.guidance == ADVICE[FaceCheck.SHARPNESS].too_low
    assert MOTION_ADVICE.too_high not in a.guidance


def test_a_slight_shake_below_the_limit_passes(
    assessor: FaceAssessor, portrait: NDArray[np.uint8]
) -> None:
    kernel = np.full((1, 3), 1.0 / 3.0, np.float32)
    a = assessor.assess(np.asarray(cv2.filter2D(portrait, -1, kernel), np.uint8))
    assert a.check(FaceCheck.SHARPNESS).passed


@pytest.mark.parametrize(
    "gains",
    [(1.35, 1.1, 0.6), (0.6, 0.8, 1.35), (0.53, 1.1, 1.2)],
    ids=["blue-green", "red", "yellow"],
)
def test_a_colour_cast_fails_natural_colour(
    assessor: FaceAssessor,
    portrait: NDArray[np.uint8],
    portrait_assessment: FaceAssessment,
    gains: tuple[float, float, float],
) -> None:
    a = assessor.assess(colour_cast(*gains)(portrait, portrait_assessment))
    result = a.check(FaceCheck.NATURAL_COLOUR)
    assert not result.passed
    assert result.guidance == ADVICE[FaceCheck.NATURAL_COLOUR].too_high
    assert a.check(FaceCheck.SINGLE_FACE).passed

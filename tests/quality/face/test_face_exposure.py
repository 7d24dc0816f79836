"""Exposure on dark skin: a well-lit dark-skinned face (dark beard, nostrils and hair at the outline
included) passes under_exposure and over_exposure; the same face under-exposed (gain 0.25) fails
under_exposure, and a brown-skinned face over-exposed (gain 2.6) fails over_exposure while its mean
lightness stays within the limits: the red channel burns out before the skin turns white."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from kitd.quality.face import FaceAssessor, FaceCheck, mesh
from kitd.quality.face.checks import photometry
from kitd.quality.face.degradations import exposure
from kitd.quality.face.regions import NOSE_BASE, NOSTRILS, polygon_mask, scaled_about_centre
from kitsim.camera.scene import Scene, render

# Well-lit dark skin: the simulated portrait's face skin scaled to a median grey of about 60, as on the
# reference portraits of dark-skinned people (median grey 54-76).
DARK_SKIN_GAIN = 0.4
# Near-black hair: beard and moustache, the hair along the face outline.
HAIR_GREY = 4


def dark_skinned(
    bgr: NDArray[np.uint8], points: NDArray[np.float64], skin_gain: float = DARK_SKIN_GAIN
) -> NDArray[np.uint8]:
    """The face made dark-skinned under the same light, with a near-black beard, moustache, nostrils and
    hair along the outline (the parts of a face that read as crushed on dark skin in any light). Counted
    over the whole face oval without eyes, brows and mouth, over a third of its skin is near-black."""
    shape = (bgr.shape[0], bgr.shape[1])
    oval = points[list(mesh.FACE_OVAL)]
    face = polygon_mask(shape, scaled_about_centre(oval, 1.05)).astype(np.float32) / 255.0
    face = cv2.GaussianBlur(face, (0, 0), 3.0)
    gain = 1.0 - (1.0 - skin_gain) * face
    out = np.clip(bgr.astype(np.float32) * gain[:, :, None], 0, 255).astype(np.uint8)

    hair = polygon_mask(shape, scaled_about_centre(oval, 1.05)) & ~polygon_mask(
        shape, scaled_about_centre(oval, 0.93)
    )
    down = points[mesh.CHIN] - points[mesh.FOREHEAD]
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    base = points[list(NOSE_BASE)].mean(axis=0)
    below_nose = (xs - base[0]) * down[0] + (ys - base[1]) * down[1] > 0
    beard = below_nose & (polygon_mask(shape, oval) > 0)
    rng = np.random.default_rng(13)
    stubble = rng.random(shape) < 0.8
    nostrils = polygon_mask(shape, scaled_about_centre(points[list(NOSTRILS)], 0.6), hull=True)
    out[(hair > 0) | (beard & stubble) | (nostrils > 0)] = HAIR_GREY
    return out


@pytest.fixture(scope="module")
def dark_face(assessor: FaceAssessor) -> NDArray[np.uint8]:
    portrait = np.asarray(render(Scene(width=1280, height=720)), dtype=np.uint8)
    landmarks = assessor.assess(portrait).landmarks
    assert landmarks is not None
    return dark_skinned(portrait, np.asarray(landmarks, dtype=np.float64))


def test_the_made_up_face_is_dark_skinned_and_well_lit(
    assessor: FaceAssessor, dark_face: NDArray[np.uint8]
) -> None:
    a = assessor.assess(dark_face)
    assert a.landmarks is not None
    grey = cv2.cvtColor(dark_face, cv2.COLOR_BGR2GRAY)
    cheek = np.asarray(a.landmarks[[mesh.RIGHT_CHEEK, mesh.LEFT_CHEEK]], dtype=np.int32)
    assert all(40 <= grey[y, x] <= 90 for x, y in cheek)
    # Well lit: the light checks other than under_exposure pass too.
    for check in (FaceCheck.LUMINANCE, FaceCheck.ILLUMINATION_UNIFORMITY, FaceCheck.OVER_EXPOSURE):
        assert a.check(check).passed, check


def test_a_well_lit_dark_skinned_face_with_a_black_beard_passes_under_exposure(
    assessor: FaceAssessor, dark_face: NDArray[np.uint8]
) -> None:
    result = assessor.assess(dark_face).check(FaceCheck.UNDER_EXPOSURE)
    assert result.passed, result


def test_the_same_face_under_exposed_fails_under_exposure(
    assessor: FaceAssessor, dark_face: NDArray[np.uint8]
) -> None:
    original = assessor.assess(dark_face)
    dim = exposure(0.25)(dark_face, original)
    assert not assessor.assess(dim).check(FaceCheck.UNDER_EXPOSURE).passed


# The reference portraits of well-lit dark-skinned faces that the whole face oval failed: skin median
# grey 54-76, but beard, nostrils and the outline's hair near-black.
WELL_LIT_DARK_SKIN = ("S030-01-t10_01.jpg", "S031-04-t10_01.jpg", "S031-05-t10_01.jpg")


@pytest.mark.reference
@pytest.mark.parametrize("name", WELL_LIT_DARK_SKIN)
def test_well_lit_dark_skinned_reference_faces_pass_under_exposure(
    name: str, shared_data: Path, assessor: FaceAssessor
) -> None:
    image = np.asarray(cv2.imread(str(shared_data / "faces" / "meds" / name)), dtype=np.uint8)
    original = assessor.assess(image)
    assert original.check(FaceCheck.UNDER_EXPOSURE).passed
    dim = exposure(0.25)(image, original)
    assert not assessor.assess(dim).check(FaceCheck.UNDER_EXPOSURE).passed


# Brown skin: the simulated face's skin at about 120 grey on the cheeks, 29 L*.
BROWN_SKIN_GAIN = 0.6


def test_brown_skin_over_exposed_fails_over_exposure_before_it_turns_white(
    assessor: FaceAssessor,
) -> None:
    portrait = np.asarray(render(Scene(width=1280, height=720)), dtype=np.uint8)
    landmarks = assessor.assess(portrait).landmarks
    assert landmarks is not None
    brown = dark_skinned(portrait, np.asarray(landmarks, dtype=np.float64), BROWN_SKIN_GAIN)
    original = assessor.assess(brown)
    assert original.check(FaceCheck.OVER_EXPOSURE).passed
    assert original.landmarks is not None
    bright = exposure(2.6)(brown, original)
    assessment = assessor.assess(bright)
    result = assessment.check(FaceCheck.OVER_EXPOSURE)
    assert not result.passed, result
    # Its mean lightness stays within the limits: only the burnt-out share catches it.
    assert assessment.check(FaceCheck.LUMINANCE).passed
    # More of the skin has its red channel burnt out than turns white in grey.
    oval = np.asarray(original.landmarks, dtype=np.float64)[list(mesh.FACE_OVAL)]
    skin = bright[polygon_mask((bright.shape[0], bright.shape[1]), oval) > 0]
    grey = np.asarray(cv2.cvtColor(skin.reshape(-1, 1, 3), cv2.COLOR_BGR2GRAY)).ravel()
    assert (grey > photometry.BRIGHT_LEVEL).mean() < photometry.over_exposure(skin) - 0.05

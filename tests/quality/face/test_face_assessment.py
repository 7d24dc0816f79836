"""The whole assessment on a real portrait: faces found, every check reported, guidance ordered."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from kitd.locale import english
from kitd.quality.face import FaceAssessor, FaceCheck, FaceThresholds, LandmarkSmoother
from kitd.quality.face.degradations import rotated, second_face


def test_a_portrait_has_one_face_with_a_box_around_the_landmarks(
    assessor: FaceAssessor, astronaut: NDArray[np.uint8]
) -> None:
    a = assessor.assess(astronaut)
    assert a.face_count == 1
    assert a.face_box is not None and a.landmarks is not None
    x, y, w, h = a.face_box
    eyes = a.landmarks[[33, 133, 263, 362]]
    assert np.all((eyes[:, 0] > x) & (eyes[:, 0] < x + w) & (eyes[:, 1] > y) & (eyes[:, 1] < y + h))
    assert a.landmarks.shape == (468, 2)


def test_every_vocabulary_check_is_reported_once_in_order(astronaut_assessment) -> None:  # type: ignore[no-untyped-def]
    assert [c.id for c in astronaut_assessment.checks] == [c.value for c in FaceCheck]


def test_an_empty_scene_has_no_face_and_says_so(assessor: FaceAssessor) -> None:
    a = assessor.assess(np.full((480, 640, 3), 200, np.uint8))
    assert a.face_count == 0 and a.landmarks is None and not a.compliant
    assert not a.check(FaceCheck.SINGLE_FACE).passed
    assert tuple(map(english, a.guidance)) == ("no face found: ask the person to face the camera",)


def test_a_second_face_fails_single_face(
    assessor: FaceAssessor, astronaut: NDArray[np.uint8], astronaut_assessment
) -> None:  # type: ignore[no-untyped-def]
    a = assessor.assess(second_face(astronaut, astronaut_assessment))
    assert a.face_count == 2
    assert "more than one face in view" in english(a.guidance[0])


def test_a_tilted_head_fails_roll_with_straightening_advice(
    assessor: FaceAssessor, astronaut: NDArray[np.uint8], astronaut_assessment
) -> None:  # type: ignore[no-untyped-def]
    a = assessor.assess(rotated(14.0)(astronaut, astronaut_assessment))
    assert not a.check(FaceCheck.ROLL).passed
    assert any("straighten the head" in english(g) for g in a.guidance)


def test_a_large_image_gives_landmarks_in_its_own_pixels(
    assessor: FaceAssessor, astronaut: NDArray[np.uint8], astronaut_assessment
) -> None:  # type: ignore[no-untyped-def]
    big = cv2.resize(astronaut, None, fx=3.0, fy=3.0, interpolation=cv2.INTER_CUBIC)
    a = assessor.assess(big)
    assert a.landmarks is not None and astronaut_assessment.landmarks is not None
    error = np.abs(a.landmarks / 3.0 - astronaut_assessment.landmarks).mean()
    assert error < 3.0
    ratio = (
        a.check(FaceCheck.INTER_EYE_DISTANCE).value
        / astronaut_assessment.check(FaceCheck.INTER_EYE_DISTANCE).value
    )
    assert ratio == pytest.approx(3.0, rel=0.1)


def test_policy_thresholds_change_the_verdict(
    astronaut: NDArray[np.uint8], astronaut_assessment
) -> None:  # type: ignore[no-untyped-def]
    assert not astronaut_assessment.check(FaceCheck.INTER_EYE_DISTANCE).passed
    lenient = FaceAssessor(FaceThresholds.from_dict({"inter_eye_distance": {"min": 30}}))
    assert lenient.assess(astronaut).check(FaceCheck.INTER_EYE_DISTANCE).passed


def test_guidance_lists_only_failed_checks_most_important_first(astronaut_assessment) -> None:  # type: ignore[no-untyped-def]
    failed = [c for c in astronaut_assessment.checks if not c.passed]
    assert astronaut_assessment.guidance == tuple(
        dict.fromkeys(c.guidance for c in failed if c.guidance)
    )


def test_a_grey_image_is_refused(assessor: FaceAssessor) -> None:
    with pytest.raises(ValueError, match="BGR"):
        assessor.assess(np.zeros((100, 100), np.uint8))


def test_the_smoother_steadies_jittering_landmarks(
    assessor: FaceAssessor, astronaut: NDArray[np.uint8]
) -> None:
    rng = np.random.default_rng(4)
    smoother = LandmarkSmoother()
    raw, smooth = [], []
    for _ in range(12):
        shift = np.float32([[1, 0, rng.uniform(-3, 3)], [0, 1, rng.uniform(-3, 3)]])
        frame = cv2.warpAffine(astronaut, shift, (512, 512), borderMode=cv2.BORDER_REPLICATE)
        raw.append(assessor.assess(frame).landmarks)
        smooth.append(assessor.assess(frame, smoother).landmarks)
    jitter_raw = np.std([p[1] for p in raw], axis=0).mean()
    jitter_smooth = np.std([p[1] for p in smooth[4:]], axis=0).mean()
    assert jitter_smooth < jitter_raw


def test_the_smoother_follows_a_new_face_at_once() -> None:
    smoother = LandmarkSmoother()
    first = np.zeros((468, 3), np.float32) + np.float32([100, 100, 0])
    first[:, 0] += np.arange(468) % 50
    smoother.smooth(first)
    moved = first + np.float32([400, 0, 0])
    assert np.allclose(smoother.smooth(moved), moved)

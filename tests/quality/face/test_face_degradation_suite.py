"""The degradation suite on the reference portraits: the right check fails on ≥ 95 % of degraded copies
of photos that passed it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kitd.quality.face import FaceAssessment, FaceAssessor
from kitd.quality.face.degradations import SUITE, Degradation

pytestmark = pytest.mark.reference


@pytest.fixture(scope="module")
def originals(shared_data: Path, assessor: FaceAssessor) -> list[tuple[np.ndarray, FaceAssessment]]:
    found = []
    for path in sorted((shared_data / "faces" / "meds").glob("*.jpg")):
        image = cv2.imread(str(path))
        a = assessor.assess(image)
        if a.face_count == 1 and a.landmarks is not None:
            found.append((image, a))
    assert len(found) >= 40
    return found


@pytest.mark.parametrize("degradation", SUITE, ids=[d.name for d in SUITE])
def test_the_right_check_catches_the_degradation(
    degradation: Degradation,
    originals: list[tuple[np.ndarray, FaceAssessment]],
    assessor: FaceAssessor,
) -> None:
    eligible = [
        (im, a) for im, a in originals if all(a.check(c).passed for c in degradation.catches)
    ]
    assert len(eligible) >= 20
    caught = 0
    for image, a in eligible:
        degraded = assessor.assess(degradation.apply(image, a))
        caught += any(not degraded.check(c).passed for c in degradation.catches)
    assert caught / len(eligible) >= 0.95


def test_the_exif_rotated_file_reads_upright_and_matches_the_original(
    shared_data: Path, assessor: FaceAssessor
) -> None:
    meds = shared_data / "faces" / "meds"
    rotated = assessor.assess(cv2.imread(str(meds / "meds-aa-S001-01-exif-rotation.jpg")))
    original = assessor.assess(cv2.imread(str(meds / "S001-01-t10_01.jpg")))
    assert rotated.landmarks is not None and original.landmarks is not None
    assert np.abs(rotated.landmarks - original.landmarks).mean() < 2.0


def test_the_two_face_reference_image_has_two_faces(
    shared_data: Path, assessor: FaceAssessor
) -> None:
    a = assessor.assess(
        cv2.imread(str(shared_data / "faces" / "meds" / "meds-af-S419-01_40deg.jpg"))
    )
    assert a.face_count == 2 and not a.check("single_face").passed


def test_low_resolution_faces_fail_inter_eye_distance(
    shared_data: Path, assessor: FaceAssessor
) -> None:
    for name in (
        "S013-01-t10_01.jpg",
        "S017-01-t10_01.jpg",
        "S043-01-t10_01.jpg",
        "S050-01-t10_01.jpg",
    ):
        a = assessor.assess(cv2.imread(str(shared_data / "faces" / "meds" / name)))
        assert not a.check("inter_eye_distance").passed, name

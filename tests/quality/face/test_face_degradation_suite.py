"""The degradation suite on the reference portraits, cross-validated by subject: limits set on the other
folds' people catch the degraded copies of the held-out fold's people (macro >= 95 %, each degradation
>= 85 %), and the calibrated checks seldom fire on the unmodified portraits."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kitd.quality.face import FaceAssessor
from kitd.quality.face.calibration import (
    CALIBRATED,
    CrossValidation,
    Portrait,
    calibrated,
    cross_validate,
    folds_by_subject,
    judged_by_data,
    measure_folder,
)
from kitd.quality.face.degradations import SUITE, Degradation

# Measuring every portrait and its degraded copies takes about a minute and a half of one core; on a
# shared, loaded machine that is more than the default per-test limit.
pytestmark = [pytest.mark.reference, pytest.mark.timeout(900)]

# Calibrated checks that fire on more than 10 % of the unmodified visible portraits because those
# portraits break the requirement (docs/quality-face.md lists them one by one).
GENUINE = {
    "luminance": "three faces at L* 5-17 and one person's flash-lit photos with clipped skin",
}


@pytest.fixture(scope="module")
def portraits(shared_data: Path, assessor: FaceAssessor) -> list[Portrait]:
    found = measure_folder(shared_data / "faces" / "meds", assessor)
    assert len(found) >= 40
    return found


@pytest.fixture(scope="module")
def held_out(portraits: list[Portrait]) -> CrossValidation:
    return cross_validate(portraits, k=5)


def test_folds_never_share_a_person(portraits: list[Portrait]) -> None:
    folds = folds_by_subject(portraits, 5)
    subjects = [{p.subject for p in fold} for fold in folds]
    assert sum(len(s) for s in subjects) == len(set().union(*subjects))
    assert sum(len(fold) for fold in folds) == len(portraits)


def test_held_out_detection_is_at_least_95_percent_macro(held_out: CrossValidation) -> None:
    assert held_out.macro_detection >= 0.95


@pytest.mark.parametrize("degradation", SUITE, ids=[d.name for d in SUITE])
def test_every_degradation_is_caught_on_held_out_people(
    degradation: Degradation, held_out: CrossValidation
) -> None:
    name = degradation.name
    tally = held_out.detection[name]
    assert tally.total >= 20
    assert tally.rate >= 0.85, (name, tally)


def test_calibrated_checks_seldom_fire_on_unmodified_held_out_portraits(
    held_out: CrossValidation,
) -> None:
    for check in (c.value for c in judged_by_data()):
        rate = held_out.false_alarms[check].rate
        bound = 0.15 if check in GENUINE else 0.10
        assert rate <= bound, (check, held_out.fired[check])


def test_the_shipped_limits_are_the_ones_set_on_all_folds(portraits: list[Portrait]) -> None:
    """thresholds.py carries the all-fold calibration (rounded to 3 significant digits)."""
    from kitd.quality.face import FaceThresholds

    shipped, measured = FaceThresholds(), calibrated(portraits)
    for limit in CALIBRATED:
        want = getattr(getattr(measured, limit.name), limit.end)
        have = getattr(getattr(shipped, limit.name), limit.end)
        assert have == pytest.approx(want, rel=0.01), (limit, have, want)


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

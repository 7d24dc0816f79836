"""Our minutiae extractor finds planted minutiae and nothing else."""

from __future__ import annotations

import numpy as np
from ridge_prints import PrintSpec, ridge_print

from kitd.quality.finger import minutiae
from kitd.quality.finger.features import compute
from kitd.quality.finger.roi import region_of_interest

PLANTED = ((150, 200), (250, 300), (200, 380), (260, 160))


def _extract(spec: PrintSpec) -> minutiae.Minutiae:
    image = ridge_print(spec)
    return minutiae.extract(image, region_of_interest(image).mask)


def test_each_planted_minutia_is_found_where_it_was_planted() -> None:
    found = _extract(PrintSpec(minutiae=PLANTED))
    assert found.count == len(PLANTED)
    for x, y in PLANTED:
        assert np.min(np.hypot(found.x - x, found.y - y)) <= 6


def test_unbroken_ridges_have_no_minutiae() -> None:
    assert _extract(PrintSpec(minutiae=())).count == 0


def test_a_missing_finger_area_gives_no_minutiae() -> None:
    image = ridge_print(PrintSpec(minutiae=PLANTED))
    assert minutiae.extract(image, np.zeros(image.shape, dtype=bool)).count == 0


def test_thinning_leaves_a_one_pixel_line() -> None:
    bar = np.zeros((20, 40), dtype=np.uint8)
    bar[8:13, 5:35] = 1
    skeleton = minutiae.thin(bar)
    assert skeleton.sum() > 0
    assert (skeleton.sum(axis=0) <= 1).all()


def test_minutiae_counts_in_the_centre_and_overall() -> None:
    # Centre of mass (207, 292): the first three lie within 100 px of it, the last 138 px below.
    planted = ((180, 220), (240, 230), (210, 290), (200, 430))
    found = compute(ridge_print(PrintSpec(minutiae=planted)))
    assert found.features["FingerJetFX_MinutiaeCount"] == 4
    assert found.features["FingerJetFX_MinCount_COMMinRect200x200"] == 3

"""The SFinGe-style generator: prints at a real 500 ppi ridge period, impressions of one finger alike and
of different fingers not, the quality knob felt by the reader's score, placements repeatable."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from kitsim.prints.contact_quality import score_frame
from kitsim.prints.impression import Placement, render
from kitsim.prints.master import master_print

PEOPLE = ("gen-anna", "gen-bart", "gen-chris")


def impression(person: str, seed: int, quality: float = 0.9) -> NDArray[np.uint8]:
    return render(master_print(person, 2), Placement(quality=quality, seed=seed))


def ridge_period(image: NDArray[np.uint8]) -> float:
    """Mean ridge period (px) of the central 128 x 128 patch: the spectrum's centroid in the ridge band."""
    centre_y, centre_x = image.shape[0] // 2, image.shape[1] // 2
    patch = image[centre_y - 64 : centre_y + 64, centre_x - 64 : centre_x + 64].astype(np.float64)
    patch = (patch - patch.mean()) * np.outer(np.hanning(128), np.hanning(128))
    power = np.abs(np.fft.fftshift(np.fft.fft2(patch))) ** 2
    yy, xx = np.indices(power.shape)
    radius = np.hypot(yy - 64, xx - 64)
    band = (radius >= 128 / 20) & (radius <= 128 / 5)
    frequency = float((radius[band] * power[band]).sum() / power[band].sum()) / 128
    return 1.0 / frequency


def similarity(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    """Best normalised correlation of a's centre anywhere in b (placements shift the finger)."""
    template = a[170:330, 120:280].astype(np.float32)
    return float(cv2.matchTemplate(b.astype(np.float32), template, cv2.TM_CCOEFF_NORMED).max())


def test_ridge_period_is_that_of_a_500_ppi_print() -> None:
    # Eight fingers: the centre patch of one may hold a core, whose curved ridges read a little short.
    periods = [ridge_period(impression(f"gen-{n}", 1)) for n in range(8)]
    print(f"ridge periods (px): {[round(p, 2) for p in periods]}")
    assert all(8.0 <= p <= 11.0 for p in periods)
    assert 9.0 <= float(np.mean(periods)) <= 10.0


def test_impressions_of_one_finger_correlate_more_than_those_of_different_fingers() -> None:
    same = [similarity(impression(p, 1), impression(p, 2)) for p in PEOPLE]
    different = [
        similarity(impression(p, 1), impression(q, 2)) for p, q in itertools.permutations(PEOPLE, 2)
    ]
    print(f"same finger: {np.round(same, 3)}, different fingers: {np.round(different, 3)}")
    assert min(same) > max(different)


def test_each_placement_is_a_new_impression_but_repeatable_by_seed() -> None:
    first, again, other = (
        impression("gen-anna", 5),
        impression("gen-anna", 5),
        impression("gen-anna", 6),
    )
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("knob", ["quality", "dryness", "noise", "partial"])
def test_worse_conditions_lower_the_readers_score(knob: str) -> None:
    master = master_print("gen-bart", 2)
    if knob == "quality":
        good, bad = Placement(quality=0.95, seed=3), Placement(quality=0.05, seed=3)
    else:
        good = Placement(quality=0.95, seed=3, **{knob: 0.0})
        bad = Placement(quality=0.95, seed=3, **{knob: 0.9})
    assert score_frame(render(master, bad)).quality < score_frame(render(master, good)).quality


def test_pressure_widens_the_contact_area() -> None:
    master = master_print("gen-chris", 2)
    light = score_frame(render(master, Placement(quality=0.9, pressure=0.1, seed=4)))
    hard = score_frame(render(master, Placement(quality=0.9, pressure=0.9, seed=4)))
    assert hard.contact_percent > light.contact_percent

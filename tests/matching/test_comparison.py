"""The 1:1 comparator on the simulator's prints: the same finger placed again scores high whatever the
placement, another finger scores low, and the score does not depend on which print comes first."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kitd.matching.comparison import compare_templates, similarity
from kitd.matching.extraction import extract_template
from kitd.matching.template import Template
from kitd.matching.thresholds import threshold_for
from kitd.records.iso19794_2 import MinutiaeView, decode_iso19794_2, encode_iso19794_2
from support.prints import impression

THRESHOLD = threshold_for(0.001)


@pytest.fixture(scope="module")
def anna() -> Template:
    return impression("match-anna", 2, quality=0.85, seed=1)


def test_a_print_matches_itself_with_the_highest_score(anna: Template) -> None:
    assert similarity(anna, anna) > 90


@pytest.mark.parametrize(
    "placement",
    [
        {"seed": 2, "rotation": 15.0},
        {"seed": 3, "dx": 35.0, "dy": -30.0},
        {"seed": 4, "pressure": 0.8},
        {"seed": 5, "pressure": 0.3, "rotation": -10.0},
        {"seed": 6, "partial": 0.3},
    ],
)
def test_the_same_finger_placed_again_matches(anna: Template, placement: dict[str, float]) -> None:
    again = impression("match-anna", 2, quality=0.8, **placement)
    assert similarity(again, anna) >= THRESHOLD


@pytest.mark.parametrize(("person", "finger"), [("match-anna", 7), ("match-bart", 2)])
def test_another_finger_does_not_match(anna: Template, person: str, finger: int) -> None:
    other = impression(person, finger, quality=0.85, seed=1)
    assert similarity(other, anna) < THRESHOLD


def test_the_comparison_finds_the_rotation_between_the_prints(anna: Template) -> None:
    turned = impression("match-anna", 2, quality=0.85, seed=1, rotation=12.0)
    result = compare_templates(turned, anna)
    # Clockwise in the image is counter-clockwise with y up, so the probe turns back by +12 degrees.
    assert abs(np.rad2deg(result.rotation) - 12.0) < 4.0
    assert result.paired >= 10


def test_the_score_hardly_depends_on_the_order(anna: Template) -> None:
    again = impression("match-anna", 2, quality=0.8, seed=7)
    forward, backward = similarity(again, anna), similarity(anna, again)
    assert abs(forward - backward) <= 0.15 * max(forward, backward)


def test_a_template_through_its_iso_record_still_matches(anna: Template) -> None:
    record = encode_iso19794_2([MinutiaeView(2, anna)])
    (view,) = decode_iso19794_2(record)
    again = impression("match-anna", 2, quality=0.8, seed=8)
    assert similarity(again, view.template) >= THRESHOLD


def with_quality(template: Template, quality: np.ndarray) -> Template:
    return dataclasses.replace(template, quality=quality.astype(np.uint8))


def test_minutiae_in_clear_flow_count_more_than_minutiae_in_noise(anna: Template) -> None:
    # Half of the probe's minutiae are the finger's own, half are strays nowhere near it (ridge ends a
    # crease or dirt left): the score is higher when the strays carry the low qualities.
    again = impression("match-anna", 2, quality=0.8, seed=9)
    rng = np.random.default_rng(1)
    strays = again.count
    probe = dataclasses.replace(
        again,
        x=np.concatenate([again.x, rng.uniform(0, again.width, strays)]).astype(np.float32),
        y=np.concatenate([again.y, rng.uniform(0, again.height, strays)]).astype(np.float32),
        angle=np.concatenate([again.angle, rng.uniform(0, 2 * np.pi, strays)]).astype(np.float32),
        kind=np.concatenate([again.kind, again.kind]),
        quality=np.zeros(2 * strays, np.uint8),
    )
    own_first = np.r_[np.full(strays, 90), np.full(strays, 10)]
    strays_first = own_first[::-1]
    trusted = similarity(with_quality(probe, own_first), anna)
    misled = similarity(with_quality(probe, strays_first), anna)
    assert trusted >= THRESHOLD
    assert trusted > 1.5 * misled


def test_a_template_without_minutia_qualities_weighs_its_minutiae_alike(anna: Template) -> None:
    # The card compact form carries no qualities (all 0): compared as if every minutia were alike.
    again = impression("match-anna", 2, quality=0.8, seed=10)
    unknown = with_quality(again, np.zeros(again.count))
    alike = with_quality(again, np.full(again.count, 60))
    assert similarity(unknown, anna) == pytest.approx(similarity(alike, anna))
    assert similarity(unknown, anna) >= THRESHOLD


def test_too_few_minutiae_never_match() -> None:
    blank = extract_template(np.full((500, 400), 238, np.uint8))
    assert blank.count == 0
    assert similarity(blank, blank) == 0.0


def test_minutiae_lie_inside_the_image_with_iso_angles(anna: Template) -> None:
    assert anna.count >= 20
    assert anna.x.min() >= 0 and anna.x.max() < 400
    assert anna.y.min() >= 0 and anna.y.max() < 500
    assert anna.angle.min() >= 0 and anna.angle.max() < 2 * np.pi

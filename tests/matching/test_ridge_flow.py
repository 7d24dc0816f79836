"""The ridge flow a template carries beside its minutiae: sampled on the finger only, in ISO's angle
convention, agreeing with another impression of the same finger under the comparator's alignment and
not with another finger, adding to the score only when both templates carry it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kitd.matching.comparison import FLOW_POINTS, OVERLAP_FLOOR, compare_templates
from kitd.matching.extraction import extract_template
from kitd.matching.ridge_flow import BLOCK, DIRECTION_UNIT, RidgeFlow, flow_agreement
from kitd.matching.template import Template
from kitd.matching.thresholds import threshold_for
from support.prints import impression


@pytest.fixture(scope="module")
def anna() -> Template:
    return impression("flow-anna", 2, quality=0.85, seed=1)


def flow_of(template: Template) -> RidgeFlow:
    assert template.flow is not None
    return template.flow


def test_the_flow_is_sampled_every_block_on_the_finger_only(anna: Template) -> None:
    flow = flow_of(anna)
    assert flow.block == BLOCK
    assert flow.direction.shape == (anna.height // BLOCK, anna.width // BLOCK)
    on_finger = flow.coherence > 0
    # The simulator's finger fills the middle of the capture, not its corners.
    assert on_finger[flow.coherence.shape[0] // 2, flow.coherence.shape[1] // 2]
    assert not on_finger[0, 0] and not on_finger[-1, -1]
    assert 0.3 < on_finger.mean() < 0.95
    assert int(flow.coherence.max()) <= 100


def test_straight_ridges_give_their_direction_in_iso_angles() -> None:
    # Ridges running up to the right at 30 degrees (y up), period 9 px, over the whole capture.
    rows, columns = np.mgrid[0:500, 0:400].astype(np.float64)
    angle = np.deg2rad(30.0)
    across = columns * -np.sin(angle) + (-rows) * np.cos(angle)
    pixels = (128 + 100 * np.cos(2 * np.pi * across / 9.0)).astype(np.uint8)
    flow = flow_of(extract_template(pixels))
    inside = flow.coherence > 50
    assert inside.mean() > 0.5
    found = flow.direction[inside].astype(np.float64) * DIRECTION_UNIT
    # Directions are lines: 30 degrees and 210 are the same.
    turned = np.abs(np.angle(np.exp(2j * (found - angle)))) / 2
    assert np.median(np.rad2deg(turned)) < 3.0


def test_a_flow_agrees_with_itself_where_it_is_laid(anna: Template) -> None:
    flow = flow_of(anna)
    same = flow_agreement(flow.samples(1.0), flow, 1.0, rotation=0.0, shift=np.zeros(2))
    assert same.agreement > 0.99
    assert same.overlap == int((flow.coherence > 0).sum())
    # Laid beside the finger, nothing overlaps.
    away = flow_agreement(flow.samples(1.0), flow, 1.0, rotation=0.0, shift=np.array([2000.0, 0.0]))
    assert away.overlap == 0 and away.agreement == 0.0


def test_a_quarter_turn_disagrees_everywhere(anna: Template) -> None:
    flow = flow_of(anna)
    turned = RidgeFlow(
        flow.block, ((flow.direction.astype(np.int64) + 128) % 256).astype(np.uint8), flow.coherence
    )
    crossed = flow_agreement(turned.samples(1.0), flow, 1.0, rotation=0.0, shift=np.zeros(2))
    assert crossed.agreement < -0.99


def test_the_same_finger_gains_the_flow_s_points_and_another_finger_hardly(anna: Template) -> None:
    again = compare_templates(impression("flow-anna", 2, quality=0.8, seed=2, rotation=12.0), anna)
    other = compare_templates(impression("flow-bart", 2, quality=0.85, seed=1), anna)
    assert again.ridge_flow and other.ridge_flow
    assert again.flow_points > 0.8 * FLOW_POINTS
    assert other.flow_points < 0.3 * FLOW_POINTS
    assert other.score < threshold_for(0.001) <= again.score


def test_on_finger_says_which_points_lie_on_the_finger(anna: Template) -> None:
    flow = flow_of(anna)
    row, column = np.argwhere(flow.coherence > 0)[0]
    centre = np.array([column + 0.5, -(row + 0.5)]) * flow.block
    points = np.array([centre, [-1000.0, 1000.0], [flow.block / 2, -flow.block / 2]])
    assert flow.on_finger(points, 1.0).tolist() == [True, False, bool(flow.coherence[0, 0])]
    # At 250 ppi a block spans twice the pixels at 500 ppi.
    assert flow.on_finger(points * 2, 2.0).tolist() == [True, False, bool(flow.coherence[0, 0])]


def test_a_print_half_off_the_glass_is_scored_over_the_finger_both_show(anna: Template) -> None:
    # Shifted by half the capture, the probe shows only part of what the reference shows: the
    # reference's minutiae beyond the probe's edge cannot pair and do not count against it.
    shifted = impression("flow-anna", 2, quality=0.85, seed=4, dx=200.0, dy=0.0)
    found = compare_templates(shifted, anna)
    minutiae_part = found.score - found.flow_points
    assert minutiae_part > 1.2 * found.minutiae_score
    # Never beyond what a common area of OVERLAP_FLOOR of each print's weight allows.
    assert minutiae_part <= found.minutiae_score / OVERLAP_FLOOR + 1e-9
    # The same finger fully on the glass hardly changes: nearly all of both lie on the other's finger.
    whole = compare_templates(
        impression("flow-anna", 2, quality=0.85, seed=4, dx=0.0, dy=0.0), anna
    )
    assert whole.score - whole.flow_points < 1.15 * whole.minutiae_score


def test_a_flow_that_shows_no_finger_adds_no_points_and_at_most_doubles_the_minutiae(
    anna: Template,
) -> None:
    # A reference record whose flow marks no sample as finger: no flow points, and the common area
    # falls back to the floor, so its minutiae part is at most the minutiae score over OVERLAP_FLOOR.
    flow = flow_of(anna)
    blank = dataclasses.replace(
        anna, flow=RidgeFlow(flow.block, flow.direction, np.zeros_like(flow.coherence))
    )
    again = impression("flow-anna", 2, quality=0.8, seed=5)
    found = compare_templates(again, blank)
    assert found.ridge_flow and found.flow_points == 0.0
    assert found.minutiae_score <= found.score <= found.minutiae_score / OVERLAP_FLOOR + 1e-9


def test_without_the_flow_on_either_side_the_score_is_the_minutiae_s(anna: Template) -> None:
    again = impression("flow-anna", 2, quality=0.8, seed=3)
    for probe, reference in ((again.without_flow(), anna), (again, anna.without_flow())):
        found = compare_templates(probe, reference)
        assert not found.ridge_flow
        assert found.score == found.minutiae_score
    assert compare_templates(again, anna).minutiae_score == pytest.approx(
        compare_templates(again.without_flow(), anna).score
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"block": 0}, "positive"),
        ({"coherence": np.full((2, 3), 101, np.uint8)}, "0..100"),
        ({"coherence": np.zeros((3, 2), np.uint8)}, "one 2-d grid"),
    ],
)
def test_a_ridge_flow_that_cannot_be_is_refused(change: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "block": 8,
        "direction": np.zeros((2, 3), np.uint8),
        "coherence": np.zeros((2, 3), np.uint8),
    } | change
    with pytest.raises(ValueError, match=message):
        RidgeFlow(**fields)  # type: ignore[arg-type]

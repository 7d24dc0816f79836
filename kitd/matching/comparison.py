"""1:1 comparison of two minutiae templates: a similarity score, higher for the same finger.

Local structures first: every minutia is described by its 16 nearest neighbours (distance, the bearing
of each neighbour and its direction, both relative to the minutia's own direction), which no rotation or
shift of the finger changes. The most alike pairs of minutiae each propose an alignment (the rotation
between their directions and the shift between their positions); under each, minutiae of the two prints
that land on each other (close, and pointing the same way, each the other's nearest) are paired, and the
alignment that scores best wins. Each pair adds the likeness of its two local structures (0..1), weighted
by the two minutiae's qualities, and the sum over the geometric mean of the two prints' total weights,
times 100, is the score (0..100): the share of minutiae both prints show alike, counting a minutia in
clear ridge flow more than one in noise or across a crease. On real prints (scripts/eval-match, docs/matching.md) a wide
neighbourhood is what separates fingers: a real capture misses some minutiae and invents others, and
with 6 neighbours one such error spoils a structure, with 16 the rest still agree (docs/matching.md has
the figures).

When both templates carry their ridge flow (kitd/matching/ridge_flow.py), each alignment also lays the
probe's flow on the reference's, and their agreement adds up to FLOW_POINTS points: from nothing at
an agreement of FLOW_FLOOR or less to all of them at a perfect one, scaled down where fewer than
FLOW_OVERLAP samples overlap. The flow also tells where each finger is, so such a score shares its
minutiae out over those that lie where the other print shows finger too: a minutia the other print never
touched cannot pair and should not count against the match. On the real FVC sets the flow lowered the
pooled EER from 6.1 % to 5.2 %, sharing over the common area to 5.0 % (docs/matching.md).
Such a score is on another scale than a minutiae-only one (a reference without the flow, as a card's
compact template), so each has its thresholds (kitd/matching/thresholds.py). Pure function of the two
templates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from kitd.matching.ridge_flow import FlowSamples, RidgeFlow, flow_agreement
from kitd.matching.template import Template

Floats = NDArray[np.float64]
_F = TypeVar("_F", np.float32, np.float64)

# Neighbours in a minutia's local structure.
NEIGHBOURS = 16
# Tolerances of two local structures' neighbours: distance (px at 500 ppi), bearing, direction.
LOCAL_DISTANCE = 12.0
LOCAL_ANGLE = np.deg2rad(22.0)
# Alignments tried: the most alike minutia pairs.
ALIGNMENTS = 5
# Paired minutiae under an alignment: within this distance (px at 500 ppi) and angle.
PAIR_DISTANCE = 14.0
PAIR_ANGLE = np.deg2rad(30.0)
# Too few minutiae to say anything.
MIN_MINUTIAE = 4
# A minutia weighs (quality / 100) ** QUALITY_POWER. On the real FVC sets 1.5 did best (pooled EER 6.1 %
# against 6.5 % unweighted; 1 and 2 within 0.1 point, 3 worse; docs/matching.md).
QUALITY_POWER = 1.5
# The ridge flow's part of the score: at most FLOW_POINTS points, growing from an agreement of
# FLOW_FLOOR to a perfect one, in full from FLOW_OVERLAP overlapping samples (8 px apart: about a third
# of a 400 x 500 capture). Chosen on the real FVC sets (docs/matching.md), so they carry that sample's
# optimism.
FLOW_POINTS = 10.0
FLOW_FLOOR = 0.5
FLOW_OVERLAP = 200
# With both flows, each print's minutiae weigh in the score's total only where the alignment lays them
# on the other's finger, but the total is at least OVERLAP_FLOOR of the print's whole weight: a sliver
# of overlap with a pair or two in it must not reach a full score. Chosen on the real FVC sets
# (docs/matching.md): 0.3-0.7 all lower FNMR at FMR 1 %; 0.5 lowers the EER and FNMR at FMR 0.1 % too,
# and on the SFinGe set, which took no part in choosing it.
OVERLAP_FLOOR = 0.5


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two templates: score, paired minutiae and the alignment found."""

    score: float
    paired: int
    # Rotation (radians, counter-clockwise) that carries the probe onto the reference.
    rotation: float
    # Whether the ridge flow took part (both templates carry it): which thresholds the score meets.
    ridge_flow: bool = False
    # The best score of the minutiae alone (what a minutiae-only comparison would give).
    minutiae_score: float = 0.0
    # The points the two flows' agreement added under the alignment found.
    flow_points: float = 0.0


def _flow_points(
    probe: FlowSamples, reference: RidgeFlow, scale: float, rotation: float, shift: Floats
) -> float:
    """The points the two ridge flows' agreement adds to an alignment's minutiae score; the alignment
    turns and shifts the probe's samples in `_points`' frame.
    """
    found = flow_agreement(probe, reference, scale, rotation=rotation, shift=shift)
    above = max(0.0, found.agreement - FLOW_FLOOR) / (1.0 - FLOW_FLOOR)
    return FLOW_POINTS * above * min(1.0, found.overlap / FLOW_OVERLAP)


def _common_weight(weight: Floats, xy: Floats, other: RidgeFlow, other_scale: float) -> float:
    """A print's minutiae weight that counts against another print: the weight of those that `xy`
    (their positions in the other's frame) lays on the other's finger, at least OVERLAP_FLOOR of all.
    """
    on_finger = other.on_finger(xy, other_scale)
    return max(float(weight[on_finger].sum()), OVERLAP_FLOOR * float(weight.sum()))


def _scale(template: Template) -> float:
    """From the template's pixels to pixels at 500 ppi."""
    return 500.0 / template.ppi if template.ppi else 1.0


def _points(template: Template) -> tuple[Floats, Floats]:
    """Positions in pixels at 500 ppi with y up (as ISO angles count), and directions."""
    scale = _scale(template)
    xy = np.stack([template.x * scale, -template.y * scale], axis=1).astype(np.float64)
    return xy, template.angle.astype(np.float64)


def _weights(template: Template) -> Floats:
    """Each minutia's weight from its quality; a template that reports no qualities (all 0, as the card
    compact form) weighs its minutiae alike.
    """
    quality = template.quality.astype(np.float64)
    if not quality.any():
        return np.ones_like(quality)
    return (np.maximum(quality, 1.0) / 100.0) ** QUALITY_POWER


def _wrap(angle: NDArray[_F]) -> NDArray[_F]:
    """Angle differences into -pi..pi, in the precision they came in."""
    return np.asarray(np.mod(angle + np.pi, 2 * np.pi) - np.pi, dtype=angle.dtype)


def _local_structures(xy: Floats, angle: Floats) -> Floats:
    """(n, k, 3): distance, relative bearing and relative direction of each minutia's k neighbours."""
    n = xy.shape[0]
    k = min(NEIGHBOURS, n - 1)
    delta = xy[None, :, :] - xy[:, None, :]
    distance = np.hypot(delta[..., 0], delta[..., 1])
    np.fill_diagonal(distance, np.inf)
    nearest = np.argsort(distance, axis=1)[:, :k]
    rows = np.arange(n)[:, None]
    d = distance[rows, nearest]
    bearing = np.arctan2(delta[rows, nearest, 1], delta[rows, nearest, 0]) - angle[:, None]
    direction = angle[nearest] - angle[:, None]
    return np.stack([d, bearing, direction], axis=2)


def _local_similarity(a: Floats, b: Floats) -> Floats:
    """(n, m): share of a's neighbours that find a like neighbour in b's structure (0..1)."""
    # (n, m, k, k) differences of every neighbour of a with every neighbour of b: float32 halves the
    # memory traffic, which is the whole cost, and every step works in place.
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    # With both angles in -pi..pi, their difference is within 2 pi and the turn between them is the
    # smaller of |difference| and 2 pi - |difference|: no modulo over the big array.
    for angles in (a32[..., 1:], b32[..., 1:]):
        angles[...] = _wrap(angles)
    rows, columns = a32[:, None, :, None, :], b32[None, :, None, :, :]
    closeness = _falloff(np.abs(rows[..., 0] - columns[..., 0]), LOCAL_DISTANCE)
    for feature in (1, 2):
        turned = np.abs(rows[..., feature] - columns[..., feature])
        np.minimum(turned, np.float32(2 * np.pi) - turned, out=turned)
        closeness *= _falloff(turned, LOCAL_ANGLE)
    return np.asarray(closeness.max(axis=3).mean(axis=2), np.float64)


def _falloff(difference: NDArray[np.float32], tolerance: float) -> NDArray[np.float32]:
    """1 - difference / tolerance, at least 0, computed in place."""
    difference *= np.float32(-1 / tolerance)
    difference += np.float32(1)
    return np.maximum(difference, np.float32(0), out=difference)


def _pair(
    moved: Floats, moved_angle: Floats, xy: Floats, angle: Floats
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Mutually nearest minutiae that lie within the pairing tolerances."""
    delta = moved[:, None, :] - xy[None, :, :]
    distance = np.hypot(delta[..., 0], delta[..., 1])
    turned = np.abs(_wrap(moved_angle[:, None] - angle[None, :]))
    cost = np.where((distance <= PAIR_DISTANCE) & (turned <= PAIR_ANGLE), distance, np.inf)
    best_b = np.argmin(cost, axis=1)
    best_a = np.argmin(cost, axis=0)
    a = np.arange(moved.shape[0])
    mutual = (best_a[best_b] == a) & np.isfinite(cost[a, best_b])
    return a[mutual], best_b[mutual]


def compare_templates(probe: Template, reference: Template) -> Comparison:
    """How alike two templates are; symmetric up to the alignment found."""
    with_flow = probe.flow is not None and reference.flow is not None
    none = Comparison(0.0, 0, 0.0, with_flow)
    if probe.count < MIN_MINUTIAE or reference.count < MIN_MINUTIAE:
        return none
    # The probe's flow samples, read once for every alignment.
    samples = (
        probe.flow.samples(_scale(probe))
        if probe.flow is not None and reference.flow is not None
        else None
    )
    pxy, pa = _points(probe)
    rxy, ra = _points(reference)
    similarity = _local_similarity(_local_structures(pxy, pa), _local_structures(rxy, ra))
    pw, rw = _weights(probe), _weights(reference)
    total = float(np.sqrt(pw.sum() * rw.sum()))
    flat = np.argsort(similarity, axis=None)[::-1][:ALIGNMENTS]
    best = none
    best_minutiae = 0.0
    for index in flat:
        i, j = np.unravel_index(index, similarity.shape)
        if similarity[i, j] <= 0:
            break
        rotation = float(_wrap(np.asarray(ra[j] - pa[i])))
        moved = (pxy - pxy[i]) @ _turn(rotation).T + rxy[j]
        moved_angle = pa + rotation
        paired_a, paired_b = _pair(moved, moved_angle, rxy, ra)
        if paired_a.size < 2:
            continue
        # Refine the alignment on the pairs (least-squares rotation and shift), then pair again.
        src = moved[paired_a] - moved[paired_a].mean(axis=0)
        dst = rxy[paired_b] - rxy[paired_b].mean(axis=0)
        refine = float(
            np.arctan2((src[:, 0] * dst[:, 1] - src[:, 1] * dst[:, 0]).sum(), (src * dst).sum())
        )
        centre = moved[paired_a].mean(axis=0)
        moved = (moved - centre) @ _turn(refine).T + rxy[paired_b].mean(axis=0)
        moved_angle = moved_angle + refine
        paired_a, paired_b = _pair(moved, moved_angle, rxy, ra)
        paired = int(paired_a.size)
        # Each pair counts as much as its two local structures agree (impostor minutiae that an
        # alignment happens to lay on each other rarely have like neighbourhoods too), and as much as
        # the two minutiae can be trusted.
        weight = np.sqrt(pw[paired_a] * rw[paired_b])
        support = float((similarity[paired_a, paired_b] * weight).sum())
        best_minutiae = max(best_minutiae, 100.0 * support / total)
        # The whole alignment as one turn and shift of the probe's points.
        turn = rotation + refine
        shift = moved.mean(axis=0) - pxy.mean(axis=0) @ _turn(turn).T
        score, flow = 100.0 * support / total, 0.0
        if samples is not None and reference.flow is not None and probe.flow is not None:
            # Each print's minutiae count where the other shows finger: the probe's moved onto the
            # reference's flow, the reference's moved back onto the probe's.
            common = math.sqrt(
                _common_weight(pw, moved, reference.flow, _scale(reference))
                * _common_weight(rw, (rxy - shift) @ _turn(-turn).T, probe.flow, _scale(probe))
            )
            flow = _flow_points(samples, reference.flow, _scale(reference), turn, shift)
            score = 100.0 * support / common + flow
        if score > best.score:
            best = Comparison(score, paired, turn, with_flow, flow_points=flow)
    return replace(best, minutiae_score=best_minutiae)


def _turn(angle: float) -> Floats:
    cos, sin = np.cos(angle), np.sin(angle)
    return np.array([[cos, -sin], [sin, cos]])


def similarity(probe: Template, reference: Template) -> float:
    """The comparison score alone (0 .. 100 + FLOW_POINTS; a match is a score at or above the
    threshold of its kind, kitd.matching.thresholds).
    """
    return compare_templates(probe, reference).score

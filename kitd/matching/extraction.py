"""The matcher's minutiae extractor: a 500 ppi capture in, a Template out.

The enhanced ridges (kitd/matching/enhancement.py) are binarised by their sign inside the finger area and
thinned (the quality extractor's Zhang-Suen thinning); crossing numbers on the skeleton give the candidate
ridge endings (1) and bifurcations (3). Real prints leave many false candidates, each with a shape on the
skeleton that a short walk along it recognises: a spur (an ending that meets a bifurcation within a few
pixels), a short ridge or a speck (two endings joined by a short piece), a bridge (two bifurcations joined
by a short piece) and a broken ridge (two endings facing each other across a gap shorter than a ridge
period). All of these go, with minutiae close to the edge of the finger area (ridges are cut there, not
ended) and where the ridge flow has no direction at all. A minutia's direction is the ridge flow, with
the sign read from where its own ridges leave a small circle around it: an ending points into its ridge,
a bifurcation away from its stem. The quality of a minutia is the flow's coherence around it. The
template also carries the ridge flow itself, sampled on a coarse grid (kitd/matching/ridge_flow.py).
Pure function of the pixels.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.matching.enhancement import enhance
from kitd.matching.ridge_flow import ridge_flow_of
from kitd.matching.template import MinutiaKind, Template
from kitd.quality.finger.minutiae import crossing_numbers, thin

Pixel = tuple[int, int]  # (row, column)

# Minutiae closer than this (px) to the edge of the finger area sit where the ridges are cut: about a
# ridge period and a third. A wider margin throws away true minutiae of small captures (on the real FVC
# sets 14 px gave a pooled EER of 7.3 %, 9-12 px 6.4-6.8 %; docs/matching.md).
BORDER_MARGIN = 11.0
# Minutiae where the flow is less coherent than this sit in noise. Kept low: on real prints every
# stricter value lost more true minutiae than false ones (FVC, docs/matching.md).
MIN_COHERENCE = 0.1
# Skeleton lengths (px at 500 ppi) of the false-minutia shapes.
SPUR_LENGTH = 10
SHORT_RIDGE_LENGTH = 18
BRIDGE_LENGTH = 9
# Two endings facing each other (within this angle) closer than this many ridge periods: a break.
BREAK_PERIODS = 1.3
BREAK_ANGLE = np.deg2rad(45.0)
# Radius (px) of the circle where a minutia's ridges are seen leaving it (its direction), less than a
# ridge period so that only its own ridges cross it; exits closer than EXIT_GAP are one ridge.
EXIT_RADIUS = 8
EXIT_GAP = 0.5
# The best minutiae kept (by quality); ISO/IEC 19794-2 cards hold fewer, a capture rarely has more.
MAX_MINUTIAE = 100

_NEIGHBOURS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
_ENDING, _BIFURCATION = 1, 3


@dataclass(frozen=True)
class _Walk:
    """Where a walk along the skeleton went: its pixels and the candidate minutia it stopped at."""

    path: list[Pixel]
    stop: Pixel | None


class _Skeleton:
    """A thinned ridge map with its candidate minutiae, walked pixel by pixel."""

    def __init__(self, skeleton: NDArray[np.uint8]) -> None:
        self.pixels = skeleton
        crossings = crossing_numbers(skeleton)
        candidate = (skeleton == 1) & ((crossings == _ENDING) | (crossings == _BIFURCATION))
        rows, columns = np.nonzero(candidate)
        self.kinds: dict[Pixel, int] = {
            (int(r), int(c)): int(crossings[r, c]) for r, c in zip(rows, columns, strict=True)
        }

    def neighbours(self, pixel: Pixel) -> list[Pixel]:
        height, width = self.pixels.shape
        row, column = pixel
        return [
            (row + dr, column + dc)
            for dr, dc in _NEIGHBOURS
            if 0 <= row + dr < height
            and 0 <= column + dc < width
            and self.pixels[row + dr, column + dc]
        ]

    def walk(self, start: Pixel, first: Pixel, limit: int) -> _Walk:
        """Follow the ridge from `start` through `first` for up to `limit` pixels or to a candidate."""
        # The start's other neighbours are the first pixels of its other branches, not a fork here.
        behind = {start, *self.neighbours(start)}
        path = [start, first]
        current = first
        for _ in range(limit):
            if current in self.kinds:
                return _Walk(path, current)
            ahead = [p for p in self.neighbours(current) if p not in behind]
            if len(ahead) != 1:
                return _Walk(path, None)
            behind.add(current)
            current = ahead[0]
            path.append(current)
        return _Walk(path, None)

    def exits(self, pixel: Pixel) -> list[float]:
        """Directions (image axes) in which the ridges through `pixel` leave the disc around it."""
        row, column = pixel
        top, left = max(0, row - EXIT_RADIUS), max(0, column - EXIT_RADIUS)
        window = self.pixels[top : row + EXIT_RADIUS + 1, left : column + EXIT_RADIUS + 1]
        ys, xs = np.mgrid[top : top + window.shape[0], left : left + window.shape[1]]
        distance = np.hypot(ys - row, xs - column)
        inside = ((window > 0) & (distance <= EXIT_RADIUS + 0.5)).astype(np.uint8)
        # Only the skeleton joined to this pixel inside the disc: a neighbouring ridge is not a branch.
        _, labels = cv2.connectedComponents(inside, connectivity=8)
        ring = (labels == labels[row - top, column - left]) & (distance > EXIT_RADIUS - 1.0)
        angles = np.sort(np.arctan2(ys[ring] - row, xs[ring] - column))
        if angles.size == 0:
            return []
        # Ring pixels next to each other are one exit; a gap between them separates two.
        gaps = np.diff(angles, append=angles[0] + 2 * np.pi)
        ends = np.nonzero(gaps > EXIT_GAP)[0]
        if ends.size == 0:
            return [float(np.angle(np.exp(1j * angles).mean()))]
        # Start after a gap, so that no exit straddles the array's ends.
        turned = np.concatenate([angles[ends[-1] + 1 :], angles[: ends[-1] + 1]])
        bounds = [0, *(ends[:-1] - ends[-1] + angles.size), angles.size]
        return [
            float(np.angle(np.exp(1j * turned[a:b]).mean())) for a, b in itertools.pairwise(bounds)
        ]


def _angle_between(a: float, b: float) -> float:
    return float(abs(np.angle(np.exp(1j * (a - b)))))


def _read_minutiae(
    skeleton: _Skeleton, eligible: NDArray[np.bool_]
) -> tuple[dict[Pixel, float], set[Pixel]]:
    """The heading of each eligible candidate read from the skeleton, and the candidates (eligible or
    not: a spur's far end may lie outside) that form false shapes.
    """
    heading: dict[Pixel, float] = {}
    false: set[Pixel] = set()
    for pixel, kind in skeleton.kinds.items():
        branches = skeleton.neighbours(pixel)
        exits = skeleton.exits(pixel) if eligible[pixel] else []
        if kind == _ENDING:
            if len(branches) != 1:
                continue
            walk = skeleton.walk(pixel, branches[0], SHORT_RIDGE_LENGTH)
            if walk.stop is not None:
                met = skeleton.kinds[walk.stop]
                if met == _ENDING or (met == _BIFURCATION and len(walk.path) - 1 <= SPUR_LENGTH):
                    false.update((pixel, walk.stop))
            if len(exits) == 1:
                # An ending points into its ridge.
                heading[pixel] = exits[0]
            continue
        for branch in branches:
            walk = skeleton.walk(pixel, branch, BRIDGE_LENGTH)
            if walk.stop is not None and skeleton.kinds[walk.stop] == _BIFURCATION:
                false.update((pixel, walk.stop))
        if len(exits) != 3:
            continue
        # The stem is the exit furthest from the other two; the bifurcation points away from it.
        spread = [sum(_angle_between(e, other) for other in exits) for e in exits]
        heading[pixel] = exits[int(np.argmax(spread))] + np.pi
    return heading, false


def _broken_ridges(endings: list[Pixel], heading: dict[Pixel, float], period: float) -> set[Pixel]:
    """Pairs of endings that face each other across a gap: one ridge the capture interrupted."""
    if len(endings) < 2:
        return set()
    where = np.asarray(endings, np.float64)
    gap = np.hypot(where[:, None, 0] - where[None, :, 0], where[:, None, 1] - where[None, :, 1])
    broken: set[Pixel] = set()
    for i, j in zip(*np.nonzero(np.triu(gap <= BREAK_PERIODS * period, k=1)), strict=True):
        facing = _angle_between(heading[endings[i]], heading[endings[j]] + np.pi)
        if facing < BREAK_ANGLE:
            broken.update((endings[i], endings[j]))
    return broken


def extract_template(
    pixels: NDArray[np.uint8],
    ppi: int = 500,
    finger: NDArray[np.bool_] | None = None,
    finger_quality: int = 0,
) -> Template:
    """The minutiae template of a 500 ppi grey capture (dark ridges on a light background).

    `finger` is the finger area (True inside); by default the area the ridge enhancement finds.
    """
    height, width = pixels.shape
    enhanced = enhance(pixels, finger)
    skeleton = _Skeleton(thin(((enhanced.ridges < 0) & (enhanced.area > 0)).astype(np.uint8)))
    inside = cv2.distanceTransform(np.pad(enhanced.area, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    eligible = (inside >= BORDER_MARGIN) & (enhanced.coherence >= MIN_COHERENCE)
    heading, false = _read_minutiae(skeleton, eligible)
    kept = [p for p in heading if p not in false]
    endings = [p for p in kept if skeleton.kinds[p] == _ENDING]
    false |= _broken_ridges(endings, heading, enhanced.period)
    points = []
    for pixel in kept:
        if pixel in false:
            continue
        coherence = float(enhanced.coherence[pixel])
        # The flow is a line (mod pi); the skeleton says which way along it the minutia points.
        flow = float(enhanced.flow[pixel])
        if _angle_between(flow, heading[pixel]) > np.pi / 2:
            flow += np.pi
        kind = (
            MinutiaKind.BIFURCATION
            if skeleton.kinds[pixel] == _BIFURCATION
            else MinutiaKind.RIDGE_ENDING
        )
        quality = int(np.clip(round(100 * coherence), 0, 100))
        row, column = pixel
        # Image y grows downwards; ISO angles count counter-clockwise with y up.
        points.append((float(column), float(row), -flow, kind, quality))
    points.sort(key=lambda point: -point[4])
    return Template.of(
        width, height, ppi, points[:MAX_MINUTIAE], finger_quality, flow=ridge_flow_of(enhanced)
    )

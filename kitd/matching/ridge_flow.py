"""A print's ridge flow beside its minutiae: which way the ridges run, sampled on a coarse grid.

Minutiae say where ridges end and split; between them the flow says which way the ridges run. Two
impressions of one finger, laid on each other by the alignment their minutiae found, have ridges running
the same way nearly everywhere they overlap, while two different fingers agree only where fingers are
alike anyway: on the real FVC sets the coherence-weighted mean of cos 2Δ (Δ the angle between the two
flows) is 0.98-0.99 for genuine pairs and 0.60-0.75 for impostor pairs (median; docs/matching.md). So
the comparator adds the flow's agreement under its alignment to the minutiae score.

The flow is sampled every BLOCK pixels of the capture, at the centre of each block: its direction (a
line, mod pi, counter-clockwise from the x axis with y up as ISO/IEC 19794-2 counts minutia angles) in
units of pi/256, and its coherence 1..100; 0 where the block's centre is not on the finger. A 400 x 500
capture gives 50 x 62 samples (6.2 kB in a record's extended data). Pure values and functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from kitd.matching.enhancement import Enhanced

Floats = NDArray[np.float64]

# Pixels between samples: about a ridge period, the scale over which the enhancement smooths the flow
# (FLOW_SIGMA, 7 px). docs/matching.md's figures are measured at this spacing.
BLOCK = 8
DIRECTION_UNIT = np.pi / 256


@dataclass(frozen=True)
class RidgeFlow:
    """The ridge flow sampled every `block` px: direction (units of pi/256) and coherence (0 = no finger)."""

    block: int
    direction: NDArray[np.uint8]
    coherence: NDArray[np.uint8]

    def __post_init__(self) -> None:
        if self.block <= 0:
            raise ValueError(f"a ridge flow's block must be positive, not {self.block}")
        if self.direction.shape != self.coherence.shape or self.direction.ndim != 2:
            raise ValueError("a ridge flow's directions and coherences must be one 2-d grid")
        if self.coherence.size and int(self.coherence.max()) > 100:
            raise ValueError("a ridge flow's coherence must be 0..100")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RidgeFlow):
            return NotImplemented
        return (
            self.block == other.block
            and np.array_equal(self.direction, other.direction)
            and np.array_equal(self.coherence, other.coherence)
        )

    __hash__ = None  # type: ignore[assignment]

    def cells(
        self, xy: Floats, scale: float
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
        """The grid row and column nearest each point (scaled by `scale`, y up), and whether it lies
        on the grid at all.
        """
        pitch = self.block * scale
        column = np.rint(xy[:, 0] / pitch - 0.5).astype(np.int64)
        row = np.rint(-xy[:, 1] / pitch - 0.5).astype(np.int64)
        rows, columns = self.coherence.shape
        inside = (row >= 0) & (row < rows) & (column >= 0) & (column < columns)
        return row, column, inside

    def on_finger(self, xy: Floats, scale: float) -> NDArray[np.bool_]:
        """Whether each point (scaled by `scale`, y up) lies on the finger: its nearest sample does."""
        row, column, inside = self.cells(xy, scale)
        found = np.zeros(len(xy), dtype=bool)
        found[inside] = self.coherence[row[inside], column[inside]] > 0
        return found

    def samples(self, scale: float) -> FlowSamples:
        """The samples on the finger, positions scaled by `scale` with y up."""
        rows, columns = np.nonzero(self.coherence)
        centre = self.block / 2
        xy = np.stack(
            [(columns * self.block + centre) * scale, -(rows * self.block + centre) * scale], axis=1
        )
        direction = self.direction[rows, columns].astype(np.float64) * DIRECTION_UNIT
        return FlowSamples(xy, direction, self.coherence[rows, columns] / 100.0)


@dataclass(frozen=True)
class FlowSamples:
    """A flow's samples on the finger, ready to be laid on another flow: positions (n, 2), directions
    (radians, mod pi) and weights (the coherence, 0..1). A comparison reads them once for all its
    alignments.
    """

    xy: Floats
    direction: Floats
    weight: Floats


def ridge_flow_of(enhanced: Enhanced) -> RidgeFlow:
    """The flow the ridge enhancement found, sampled at the centre of every BLOCK x BLOCK block."""
    height, width = enhanced.area.shape
    centre = BLOCK // 2
    rows = np.arange(height // BLOCK) * BLOCK + centre
    columns = np.arange(width // BLOCK) * BLOCK + centre
    grid = np.ix_(rows, columns)
    # Image axes (y down) to ISO's (y up): the angle changes sign.
    direction = np.mod(-enhanced.flow[grid].astype(np.float64), np.pi)
    units = np.rint(direction / DIRECTION_UNIT).astype(np.int64) % 256
    coherence = np.clip(np.rint(100 * enhanced.coherence[grid]), 1, 100)
    coherence[enhanced.area[grid] == 0] = 0
    return RidgeFlow(BLOCK, units.astype(np.uint8), coherence.astype(np.uint8))


@dataclass(frozen=True)
class FlowAgreement:
    """How well two flows agree under an alignment: the weighted mean of cos 2Δ (-1..1) over the probe
    samples that land on the reference's finger, and how many did.
    """

    agreement: float
    overlap: int


NO_OVERLAP = FlowAgreement(0.0, 0)


def flow_agreement(
    probe: FlowSamples,
    reference: RidgeFlow,
    reference_scale: float,
    *,
    rotation: float,
    shift: Floats,
) -> FlowAgreement:
    """The agreement of the probe's flow samples, turned by `rotation` and moved by `shift` (in their
    scaled, y-up frame), with the reference's flow at the nearest sample.
    """
    cos, sin = np.cos(rotation), np.sin(rotation)
    moved = probe.xy @ np.array([[cos, -sin], [sin, cos]]).T + shift
    row, column, inside = reference.cells(moved, reference_scale)
    row, column = row[inside], column[inside]
    on_finger = reference.coherence[row, column] > 0
    row, column = row[on_finger], column[on_finger]
    if row.size == 0:
        return NO_OVERLAP
    turned = probe.direction[inside][on_finger] + rotation
    delta = turned - reference.direction[row, column].astype(np.float64) * DIRECTION_UNIT
    both = np.minimum(probe.weight[inside][on_finger], reference.coherence[row, column] / 100.0)
    agreement = float((np.cos(2 * delta) * both).sum() / max(float(both.sum()), 1e-9))
    return FlowAgreement(agreement, int(row.size))

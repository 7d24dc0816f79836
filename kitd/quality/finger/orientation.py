"""Orientation measures of ISO/IEC 29794-4: orientation certainty (OCL), orientation flow (OF) and the
coherence of the ridge orientation over the region of interest.

* OCL: for every complete 32 x 32 tile, 1 - (smaller / larger eigenvalue) of the gradient covariance:
  1 for perfectly parallel ridges, 0 for no dominant direction.
* OF: how far a block's ridge angle departs from its 8 neighbours', counted where it exceeds 4 degrees and
  scaled to 0..1 (0 means smooth flow).
* Coherence: |sum of doubled-angle gradient vectors| / sum of their lengths per tile in the region of
  interest; reported as a sum and a mean.

Pure functions; they never decide pass or fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kitd.quality.finger.blocks import (
    BLOCK,
    SlantedBlocks,
    gradient_moments,
    tile_view,
)

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

# Angle changes up to this are normal ridge curvature, not disturbed flow.
FLOW_MIN_ANGLE = math.radians(4.0)
_FLOW_SCALE = math.radians(90.0) - FLOW_MIN_ANGLE


@dataclass(frozen=True)
class TileMoments:
    """Means of gx^2, gy^2 and gx*gy inside every complete 32 x 32 tile from the top-left, as
    (rows, cols) maps; OCL and coherence are both functions of these three.
    """

    xx: Floats
    yy: Floats
    xy: Floats

    @classmethod
    def of(cls, image: NDArray[np.uint8]) -> TileMoments:
        return cls(*gradient_moments(tile_view(image)))


def _certainty(a: Floats, b: Floats, c: Floats) -> tuple[Floats, Bools]:
    root = np.sqrt((a - b) ** 2 + 4.0 * c * c)
    largest = (a + b + root) / 2.0
    smallest = (a + b - root) / 2.0
    defined = largest > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ocl = np.where(defined, 1.0 - smallest / largest, 0.0)
    return np.asarray(ocl, dtype=np.float64), np.asarray(defined, dtype=bool)


def ocl_of_blocks(blocks: NDArray[np.generic]) -> tuple[Floats, Bools]:
    """Orientation certainty of each block (..., h, w) and whether it is defined (not a flat block)."""
    return _certainty(*gradient_moments(blocks))


def ocl_tiles(moments: TileMoments) -> tuple[Floats, Bools]:
    """OCL of every complete tile as a (rows, cols) map, and which tiles have a defined value."""
    return _certainty(moments.xx, moments.yy, moments.xy)


def orientation_flow(grid: SlantedBlocks) -> Floats:
    """Orientation-flow values of the foreground blocks whose whole 3 x 3 neighbourhood is foreground."""
    rows, cols = grid.grid_shape
    if rows == 0 or cols == 0:
        return np.zeros(0)
    angles = np.pad(grid.orientation.reshape(rows, cols), 1)
    inside = np.pad(grid.foreground.reshape(rows, cols), 1)
    centre = angles[1:-1, 1:-1]
    total = np.zeros((rows, cols))
    all_inside = np.ones((rows, cols), dtype=bool)
    for dy in range(3):
        for dx in range(3):
            difference = np.abs(centre - angles[dy : dy + rows, dx : dx + cols])
            # The reference wraps angle differences at a full turn, not at half a turn.
            total += np.minimum(difference, 2.0 * math.pi - difference)
            all_inside &= inside[dy : dy + rows, dx : dx + cols]
    local = total / 8.0
    counted = all_inside & (local > FLOW_MIN_ANGLE)
    return np.asarray((local[counted] - FLOW_MIN_ANGLE) / _FLOW_SCALE, dtype=np.float64)


def _coherence(xx: Floats, yy: Floats, xy: Floats) -> Floats:
    """Per tile, |sum of doubled-angle gradients| / sum of their lengths, from the gradient moments.

    The doubled-angle vector of (gx, gy) is (gx^2 - gy^2, 2 gx gy) and its length is gx^2 + gy^2, so
    both sums follow from the tile's moments without a pass over its pixels.
    """
    lengths = xx + yy
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.hypot(xx - yy, 2.0 * xy) / lengths
    return np.asarray(np.where(lengths > 0, ratio, 0.0), dtype=np.float64)


def _edge_tiles(strip: NDArray[np.uint8], tile_width: int) -> NDArray[np.uint8]:
    """A strip of tiles of equal size, as a (count, h, w) view."""
    count = strip.shape[1] // tile_width
    height = strip.shape[0]
    return strip[:, : count * tile_width].reshape(height, count, tile_width).swapaxes(0, 1)


def _partial_coherence_sum(tiles: NDArray[np.uint8]) -> float:
    return float(_coherence(*gradient_moments(tiles)).sum())


def _partial_tiles_coherence(image: NDArray[np.uint8], roi_tiles: Bools) -> float:
    """Coherence summed over the ROI tiles cut short by the right or bottom edge."""
    height, width = image.shape
    full_rows, full_cols = height // BLOCK, width // BLOCK
    rest_h, rest_w = height - full_rows * BLOCK, width - full_cols * BLOCK
    total = 0.0
    # The gradient needs two samples each way; a 1-px strip has no coherence (0).
    if rest_w > 1 and full_rows:
        strip = image[: full_rows * BLOCK, full_cols * BLOCK :]
        tiles = strip.reshape(full_rows, BLOCK, rest_w)
        chosen = roi_tiles[:full_rows, full_cols]
        if chosen.any():
            total += _partial_coherence_sum(tiles[chosen])
    if rest_h > 1 and full_cols:
        tiles = _edge_tiles(image[full_rows * BLOCK :, : full_cols * BLOCK], BLOCK)
        chosen = roi_tiles[full_rows, :full_cols]
        if chosen.any():
            total += _partial_coherence_sum(tiles[chosen])
    if rest_h > 1 and rest_w > 1 and roi_tiles[full_rows, full_cols]:
        corner = image[full_rows * BLOCK :, full_cols * BLOCK :]
        total += _partial_coherence_sum(corner)
    return total


def coherence(
    image: NDArray[np.uint8], roi_tiles: Bools, moments: TileMoments
) -> tuple[float, float]:
    """Sum and mean of ridge-orientation coherence over the tiles (partial ones included) in the ROI."""
    height, width = image.shape
    complete = roi_tiles[: height // BLOCK, : width // BLOCK]
    total = float(_coherence(moments.xx, moments.yy, moments.xy)[complete].sum())
    total += _partial_tiles_coherence(image, roi_tiles)
    count = int(roi_tiles.sum())
    return total, (total / count if count else 0.0)

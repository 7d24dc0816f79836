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

from kitd.quality.finger.blocks import BLOCK, SlantedBlocks, gradient_moments, tile_view

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

# Angle changes up to this are normal ridge curvature, not disturbed flow.
FLOW_MIN_ANGLE = math.radians(4.0)
_FLOW_SCALE = math.radians(90.0) - FLOW_MIN_ANGLE


@dataclass(frozen=True)
class TileGradients:
    """Gradients inside every complete 32 x 32 tile from the top-left, shared by OCL and coherence."""

    gx: NDArray[np.float32]  # (rows, cols, 32, 32)
    gy: NDArray[np.float32]

    @classmethod
    def of(cls, image: NDArray[np.uint8]) -> TileGradients:
        gy, gx = np.gradient(tile_view(image).astype(np.float32), axis=(-2, -1))
        return cls(gx=gx, gy=gy)


def _certainty(a: Floats, b: Floats, c: Floats) -> tuple[Floats, Bools]:
    root = np.sqrt((a - b) ** 2 + 4.0 * c * c)
    largest = (a + b + root) / 2.0
    smallest = (a + b - root) / 2.0
    defined = largest > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ocl = np.where(defined, 1.0 - smallest / largest, 0.0)
    return np.asarray(ocl, dtype=np.float64), np.asarray(defined, dtype=bool)


def ocl_of_blocks(blocks: NDArray[np.floating]) -> tuple[Floats, Bools]:
    """Orientation certainty of each block (..., h, w) and whether it is defined (not a flat block)."""
    return _certainty(*gradient_moments(blocks))


def ocl_tiles(gradients: TileGradients) -> tuple[Floats, Bools]:
    """OCL of every complete tile as a (rows, cols) map, and which tiles have a defined value."""
    gx, gy = gradients.gx, gradients.gy
    axes = (-2, -1)
    return _certainty(
        (gx * gx).mean(axis=axes, dtype=np.float64),
        (gy * gy).mean(axis=axes, dtype=np.float64),
        (gx * gy).mean(axis=axes, dtype=np.float64),
    )


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


def _tile_coherence(tile: Floats) -> float:
    gy, gx = np.gradient(tile) if min(tile.shape) > 1 else (np.zeros_like(tile), np.zeros_like(tile))
    doubled_x = gx * gx - gy * gy
    doubled_y = 2.0 * gx * gy
    length = float(np.hypot(doubled_x, doubled_y).sum())
    return float(math.hypot(doubled_x.sum(), doubled_y.sum()) / length) if length > 0 else 0.0


def coherence(
    image: NDArray[np.uint8], roi_tiles: Bools, gradients: TileGradients
) -> tuple[float, float]:
    """Sum and mean of ridge-orientation coherence over the tiles (partial ones included) in the ROI."""
    height, width = image.shape
    full_rows, full_cols = height // BLOCK, width // BLOCK
    total = 0.0
    complete = roi_tiles[:full_rows, :full_cols]
    if complete.any():
        gx, gy = gradients.gx[complete], gradients.gy[complete]
        doubled_x = gx * gx - gy * gy
        doubled_y = 2.0 * gx * gy
        lengths = np.hypot(doubled_x, doubled_y).sum(axis=(1, 2), dtype=np.float64)
        vectors = np.hypot(
            doubled_x.sum(axis=(1, 2), dtype=np.float64), doubled_y.sum(axis=(1, 2), dtype=np.float64)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            total += float(np.where(lengths > 0, vectors / lengths, 0.0).sum())
    # Partial tiles along the right and bottom edges, few enough to do one by one.
    for r, c in zip(*np.nonzero(roi_tiles), strict=True):
        if r < full_rows and c < full_cols:
            continue
        tile = image[r * BLOCK : (r + 1) * BLOCK, c * BLOCK : (c + 1) * BLOCK].astype(np.float64)
        total += _tile_coherence(tile)
    count = int(roi_tiles.sum())
    return total, (total / count if count else 0.0)

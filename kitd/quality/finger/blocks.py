"""The 32 x 32 block geometry NFIQ 2 measures on, and the per-block quantities several measures share.

Two grids are used, as in ISO/IEC 29794-4: *tiles* start at the top-left pixel (OCL, Mu/MMB, coherence);
*slanted-window blocks* start 2 px in, so that each 32 x 32 block has a 36 x 36 window around it from which
a 32 x 16 region aligned with the ridges is cut after rotation (FDA, LCS, RVUP, OF). Everything here is
vectorised over blocks; nothing here decides quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kitd.quality.finger.image import grey_statistics

BLOCK = 32
# The rotated 32 x 16 region needs a window of ceil(sqrt(32^2 + 16^2)) = 36 px around a block.
WINDOW = 36
OFFSET = (WINDOW - BLOCK) // 2
# Zero frame (px) around the image for rotated sampling; windows reach at most 2 px beyond the image.
_FRAME = 4
# A block belongs to the ridge area when its grey-level spread exceeds this share of the image's.
SEGMENT_THRESHOLD = 0.1

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class SlantedBlocks:
    """The slanted-window grid: block origins, which blocks are ridge area, and their ridge-normal angle."""

    # Origin (row, column) of each block of the grid_shape grid, in row-major order.
    rows: NDArray[np.intp]
    cols: NDArray[np.intp]
    grid_shape: tuple[int, int]
    # Per block: every pixel of the block lies in the ridge segmentation mask.
    foreground: Bools
    # Per block: angle (rad) of the normal to the ridges, from the gradient covariance.
    orientation: Floats
    # The image in a zero frame of _FRAME px, flattened: what the rotated regions sample from (the
    # frame stands for "outside the image"; windows reach at most 2 px out). Made once per image.
    framed: NDArray[np.uint8]
    framed_width: int


def tile_view(image: NDArray[np.generic], size: int = BLOCK) -> NDArray[np.generic]:
    """The complete size x size tiles from the top-left corner as a (rows, cols, size, size) view."""
    rows, cols = image.shape[0] // size, image.shape[1] // size
    cropped = image[: rows * size, : cols * size]
    return cropped.reshape(rows, size, cols, size).swapaxes(1, 2)


def _tile_sums(image: NDArray[np.uint8], size: int) -> tuple[Floats, Floats, Floats]:
    """Sum, sum of squares and pixel count of every tile from the top-left, partial tiles included."""
    height, width = image.shape
    row_starts, col_starts = np.arange(0, height, size), np.arange(0, width, size)

    def tiles(array: NDArray[np.generic]) -> Floats:
        # Integer sums are exact (a tile's squares stay below 2^32); rows first, so the second pass
        # reads a small array.
        rows = np.add.reduceat(array, row_starts, axis=0, dtype=np.uint32)
        return np.add.reduceat(rows, col_starts, axis=1, dtype=np.uint32).astype(np.float64)

    heights = np.minimum(size, height - row_starts)
    widths = np.minimum(size, width - col_starts)
    squares = np.square(image, dtype=np.uint16)
    return tiles(image), tiles(squares), np.outer(heights, widths).astype(np.float64)


@dataclass(frozen=True)
class TileStatistics:
    """Mean and (population) standard deviation of every tile from the top-left, partial tiles at the
    right and bottom edges included; MMB and the ridge segmentation both read them.
    """

    means: Floats
    stds: Floats

    @classmethod
    def of(cls, image: NDArray[np.uint8], size: int = BLOCK) -> TileStatistics:
        sums, squares, counts = _tile_sums(image, size)
        means = sums / counts
        stds = np.sqrt(np.maximum(squares / counts - means * means, 0.0))
        return cls(means, np.asarray(stds, dtype=np.float64))


def block_means(image: NDArray[np.uint8], size: int = BLOCK) -> Floats:
    """Mean of every tile from the top-left, partial tiles at the right and bottom edges included."""
    return TileStatistics.of(image, size).means


def ridge_tiles(image: NDArray[np.uint8], statistics: TileStatistics | None = None) -> Bools:
    """Ridge segmentation per tile (partial tiles included): grey-level spread above 0.1 of the image's.

    The reference marks every pixel of such a tile; the tile map says the same thing.
    """
    _, image_std = grey_statistics(image)
    stds = (statistics or TileStatistics.of(image)).stds
    if image_std == 0.0:
        return np.zeros(stds.shape, dtype=bool)
    return np.asarray(stds / image_std > SEGMENT_THRESHOLD, dtype=bool)


def block_gradients(
    blocks: NDArray[np.generic],
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    """(gx, gy) inside each block (..., h, w) with h, w >= 2: float blocks keep their type, 8-bit ones
    give float32 (which holds every 8-bit difference and half-difference exactly).

    Central differences inside, one-sided at the block edges, so a block never sees its neighbours:
    numpy's `gradient`, written out with slices (its general code costs five times as much here). The
    blocks may be a strided view of the image: the differences read it in place, without a copy.
    """
    kind = blocks.dtype if np.issubdtype(blocks.dtype, np.floating) else np.dtype(np.float32)
    gx = np.empty(blocks.shape, dtype=kind)
    gy = np.empty(blocks.shape, dtype=kind)
    np.subtract(blocks[..., 2:], blocks[..., :-2], out=gx[..., 1:-1], dtype=kind)
    gx[..., 1:-1] *= 0.5
    np.subtract(blocks[..., 1], blocks[..., 0], out=gx[..., 0], dtype=kind)
    np.subtract(blocks[..., -1], blocks[..., -2], out=gx[..., -1], dtype=kind)
    np.subtract(blocks[..., 2:, :], blocks[..., :-2, :], out=gy[..., 1:-1, :], dtype=kind)
    gy[..., 1:-1, :] *= 0.5
    np.subtract(blocks[..., 1, :], blocks[..., 0, :], out=gy[..., 0, :], dtype=kind)
    np.subtract(blocks[..., -1, :], blocks[..., -2, :], out=gy[..., -1, :], dtype=kind)
    return gx, gy


def _doubled_gradients(
    blocks: NDArray[np.uint8],
) -> tuple[NDArray[np.int16], NDArray[np.int16]]:
    """(2 gx, 2 gy) of 8-bit blocks as exact 16-bit integers: the same differences as block_gradients,
    doubled so that the halves of the central differences stay whole.
    """
    gx = np.empty(blocks.shape, dtype=np.int16)
    gy = np.empty(blocks.shape, dtype=np.int16)
    np.subtract(blocks[..., 2:], blocks[..., :-2], out=gx[..., 1:-1], dtype=np.int16)
    np.subtract(blocks[..., 1], blocks[..., 0], out=gx[..., 0], dtype=np.int16)
    np.subtract(blocks[..., -1], blocks[..., -2], out=gx[..., -1], dtype=np.int16)
    gx[..., 0] *= 2
    gx[..., -1] *= 2
    np.subtract(blocks[..., 2:, :], blocks[..., :-2, :], out=gy[..., 1:-1, :], dtype=np.int16)
    np.subtract(blocks[..., 1, :], blocks[..., 0, :], out=gy[..., 0, :], dtype=np.int16)
    np.subtract(blocks[..., -1, :], blocks[..., -2, :], out=gy[..., -1, :], dtype=np.int16)
    gy[..., 0, :] *= 2
    gy[..., -1, :] *= 2
    return gx, gy


def gradient_moments(blocks: NDArray[np.generic]) -> tuple[Floats, Floats, Floats]:
    """Means of gx^2, gy^2 and gx*gy over each block (..., h, w), with gradients taken inside the block."""
    if blocks.dtype == np.uint8:
        # 8-bit blocks: integer sums of the doubled gradients' products, exact and about three times
        # faster than float arithmetic on a strided view of the image; the same values to the last bit.
        gx2, gy2 = _doubled_gradients(np.asarray(blocks, dtype=np.uint8))
        count = 4.0 * blocks.shape[-1] * blocks.shape[-2]
        return (
            np.einsum("...ij,...ij->...", gx2, gx2, dtype=np.int64) / count,
            np.einsum("...ij,...ij->...", gy2, gy2, dtype=np.int64) / count,
            np.einsum("...ij,...ij->...", gx2, gy2, dtype=np.int64) / count,
        )
    gx, gy = block_gradients(blocks)
    axes = (-2, -1)
    xy = (gx * gy).mean(axis=axes, dtype=np.float64)
    # Squared in place: fresh image-sized arrays cost more than the arithmetic.
    xx = np.multiply(gx, gx, out=gx).mean(axis=axes, dtype=np.float64)
    yy = np.multiply(gy, gy, out=gy).mean(axis=axes, dtype=np.float64)
    return np.asarray(xx), np.asarray(yy), np.asarray(xy)


def slanted_blocks(
    image: NDArray[np.uint8], statistics: TileStatistics | None = None
) -> SlantedBlocks:
    """The slanted-window grid of an image with its foreground flags and block orientations.

    `statistics`: the image's tile statistics when the caller has them already.
    """
    height, width = image.shape
    row_origins = np.arange(OFFSET, height - (BLOCK + OFFSET - 1), BLOCK)
    col_origins = np.arange(OFFSET, width - (BLOCK + OFFSET - 1), BLOCK)
    grid = (row_origins.size, col_origins.size)
    rows, cols = (a.ravel() for a in np.meshgrid(row_origins, col_origins, indexing="ij"))
    if rows.size == 0:
        empty = np.zeros(0)
        return SlantedBlocks(rows, cols, grid, empty.astype(bool), empty, np.zeros(1, np.uint8), 1)
    # A block starts 2 px into a tile and so covers parts of 2 x 2 tiles; it lies wholly in the ridge
    # mask exactly when all of those tiles do.
    tiles = ridge_tiles(image, statistics)
    top, left = rows // BLOCK, cols // BLOCK
    bottom, right = (rows + BLOCK - 1) // BLOCK, (cols + BLOCK - 1) // BLOCK
    foreground = tiles[top, left] & tiles[top, right] & tiles[bottom, left] & tiles[bottom, right]
    # The blocks are a regular grid, so a reshaped view gives their pixels without copying.
    inner = image[OFFSET : OFFSET + grid[0] * BLOCK, OFFSET : OFFSET + grid[1] * BLOCK]
    blocks = inner.reshape(grid[0], BLOCK, grid[1], BLOCK).swapaxes(1, 2).reshape(-1, BLOCK, BLOCK)
    a, b, c = gradient_moments(blocks)
    orientation = 0.5 * np.arctan2(c, a - b)
    framed = np.pad(image, _FRAME)
    return SlantedBlocks(
        rows, cols, grid, foreground, orientation, framed.ravel(), int(framed.shape[1])
    )


def rotated_region(
    grid: SlantedBlocks,
    selected: NDArray[np.intp],
    angles: Floats,
    *,
    padded: bool,
    region: tuple[slice, slice],
) -> NDArray[np.float32]:
    """`region` of the 36 x 36 window around each selected block, rotated by its angle about the block centre.

    Nearest-neighbour sampling, zeros where the source falls outside its window or the image. Without
    `padded` the source is the 36 x 36 window around the block and the result is centred on it; with
    `padded` the source is the 40 x 40 window (the reference frames the window by 2 px, and OpenCV fills
    that frame from the surrounding image) and the result is centred 2 px further down and right. Only the
    pixels of `region` are sampled: the measures use a 32 x 16 part of the rotated window.
    """
    size = WINDOW + (4 if padded else 0)
    centre = size / 2.0
    row_index = np.arange(WINDOW, dtype=np.float32)[region[0]] - centre
    col_index = np.arange(WINDOW, dtype=np.float32)[region[1]] - centre
    cos = np.cos(angles).astype(np.float32)[:, None, None]
    sin = np.sin(angles).astype(np.float32)[:, None, None]
    dx = col_index[None, None, :]
    dy = row_index[None, :, None]
    # Inverse of the rotation that maps the window to the result: where each result pixel comes from,
    # rounded down (shifted to positive values first, where truncation is rounding down). Worked in
    # place and in 32 bits: the arrays are as large as the image, and memory traffic is the cost here.
    shift = np.float32(centre + 0.5 + size)
    src_x = cos * dx - sin * dy
    src_x += shift
    src_y = sin * dx + cos * dy
    src_y += shift
    column = src_x.astype(np.int32)
    column -= size
    row = src_y.astype(np.int32)
    row -= size
    # Negative coordinates become huge unsigned ones: one comparison per axis checks both bounds.
    valid = column.view(np.uint32) < size
    valid &= row.view(np.uint32) < size
    margin = (size - BLOCK) // 2
    width = grid.framed_width
    origin = (grid.rows[selected] - margin + _FRAME) * width + grid.cols[selected] - margin + _FRAME
    index = row
    index *= width
    index += column
    index += origin.astype(np.int32)[:, None, None]
    # Samples outside the window read pixel 0, a corner of the zero frame.
    index *= valid
    return grid.framed[index].astype(np.float32)

"""Cheap measures of a small preview frame, for a rough live quality estimate while the finger settles.

The frame is brought to about 250 ppi (a 400 x 500 px capture becomes 200 x 250 px) and cut into 16 x 16
tiles (32 px at 500 ppi, the NFIQ 2 block). The measures are the share of ridge-area tiles, their mean
orientation certainty, the share of clearly oriented tiles, the mean grey level and how far the ridge area
sits from the centre. The model maps them linearly to 0..100. Pure function; never stores the frame.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.finger.blocks import tile_view
from kitd.quality.finger.errors import FingerprintImageError
from kitd.quality.finger.image import grey_statistics
from kitd.quality.finger.orientation import ocl_of_blocks

LIVE_NAMES = ("ridge_share", "ridge_ocl", "clear_share", "grey", "offset")
PREVIEW_PPI = 250
_TILE = 16
# A tile belongs to the ridge area when its spread is at least this share of the frame's.
_RIDGE_SPREAD = 0.4
_CLEAR_OCL = 0.7


def preview(pixels: NDArray[np.uint8], ppi: int) -> NDArray[np.uint8]:
    """The frame at about 250 ppi: 500 ppi frames are halved, 250 ppi frames are used as they are."""
    if pixels.dtype != np.uint8 or pixels.ndim != 2:
        raise FingerprintImageError(
            "live preview frames must be 8-bit grey (uint8, height x width)"
        )
    if abs(ppi - 2 * PREVIEW_PPI) <= 10:
        height, width = pixels.shape
        halved = cv2.resize(pixels, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
        pixels = np.asarray(halved, dtype=np.uint8)
    elif abs(ppi - PREVIEW_PPI) > 5:
        raise FingerprintImageError(
            f"unsupported preview resolution {ppi} ppi: use 250 or 500 ppi frames"
        )
    if min(pixels.shape) < 2 * _TILE:
        raise FingerprintImageError(
            f"preview frame too small ({pixels.shape[1]} x {pixels.shape[0]} px)"
        )
    return np.ascontiguousarray(pixels, dtype=np.uint8)


def live_measures(pixels: NDArray[np.uint8], ppi: int) -> NDArray[np.float64]:
    """The live measures, in LIVE_NAMES order."""
    frame = preview(pixels, ppi)
    tiles = tile_view(frame, _TILE).astype(np.float32, order="C")
    spread = tiles.std(axis=(-2, -1))
    mean, frame_spread = grey_statistics(frame)
    ridge = (
        spread > _RIDGE_SPREAD * frame_spread if frame_spread > 0 else np.zeros_like(spread, bool)
    )
    ocl, _ = ocl_of_blocks(tiles)
    ridge_share = float(ridge.mean())
    ridge_ocl = float(ocl[ridge].mean()) if ridge.any() else 0.0
    clear_share = float((ridge & (ocl > _CLEAR_OCL)).mean())
    grey = mean / 255.0
    if ridge.any():
        rows, cols = np.nonzero(ridge)
        offset = float(
            np.hypot(
                rows.mean() / ridge.shape[0] - 0.5 + 0.5 / ridge.shape[0],
                cols.mean() / ridge.shape[1] - 0.5 + 0.5 / ridge.shape[1],
            )
        )
    else:
        offset = 0.5
    return np.array([ridge_share, ridge_ocl, clear_share, grey, offset], dtype=np.float64)

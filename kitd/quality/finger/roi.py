"""The region of interest (the finger's contact area) as ISO/IEC 29794-4 image processing finds it.

Dark ridges are spread by a 5 x 5 minimum filter, the result is smoothed (41 x 41 Gaussian) and split from
the background by Otsu's threshold, smoothed again (91 x 91) and thresholded again; holes are filled and
only the largest part (by bounding box) is kept. The ROI gives `ImgProcROIArea_Mean`, the foreground pixel
count for feedback, the tiles over which coherence is measured, and the share of the finger area the
ridges cover (for the wet/dry feedback). Pure function; it decides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.finger.blocks import BLOCK

Bools = NDArray[np.bool_]

_SCALE = 4


@dataclass(frozen=True)
class RegionOfInterest:
    """A print's foreground: its mask, area, mean grey and per-tile coverage."""

    mask: Bools  # per pixel: inside the finger area
    pixels: int
    mean: float  # mean grey inside the mask; 255 (white) when the mask is empty
    # Per 32 x 32 tile from the top-left, partial tiles included: any pixel in the mask.
    tiles: Bools
    # Share of the mask's pixels darker than halfway between its 5th and 95th percentile greys: about
    # 0.35-0.45 on a normal print, more where wet skin spreads the ridges, less where dry ridges break.
    # Relative to the print's own grey range, so a sensor's background level does not move it.
    ridge_share: float = 0.0
    # Share of the mask's pixels in dark patches wider than a ridge: the ridge pixels (as ridge_share
    # counts them) that a BLOTCH_SIDE square fits inside. Wet skin fills the valleys in patches
    # (a wet optical capture can be light overall, with dark blotches beside faint ridges); a clear
    # print's ridges are mostly narrower than the square (one pressed hard can merge them, but stays clear).
    blotch_share: float = 0.0


def _fill_holes(inside: NDArray[np.uint8]) -> NDArray[np.uint8]:
    # Background parts that do not reach the image border are holes in the finger area.
    count, labels = cv2.connectedComponents(1 - inside, connectivity=8)
    if count <= 1:
        return inside
    outer = np.zeros(count, dtype=np.uint8)
    outer[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = 1
    outer[0] = 0  # label 0 is the finger area itself
    return np.asarray(1 - outer[labels], dtype=np.uint8)


def _largest_part(inside: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The connected part with the largest bounding box (4-connectivity, as a flood fill sees it)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(inside, connectivity=4)
    if count <= 2:
        return inside
    boxes = stats[1:, cv2.CC_STAT_WIDTH] * stats[1:, cv2.CC_STAT_HEIGHT]
    keep = np.zeros(count, dtype=np.uint8)
    keep[1 + int(np.argmax(boxes))] = 1
    return np.asarray(keep[labels], dtype=np.uint8)


def _quarter(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    height, width = image.shape
    size = (max(1, width // _SCALE), max(1, height // _SCALE))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _sigma(kernel: int) -> float:
    # OpenCV's Gaussian sigma for a kernel size, so the blur is the one the definition names.
    return 0.3 * ((kernel - 1) * 0.5 - 1) + 0.8


# The percentiles that stand for the ridges' and the valleys' grey level.
_DARK_PERCENTILE, _LIGHT_PERCENTILE = 0.05, 0.95
# A ridge at 500 ppi is 3-7 px wide, a ridge and its valley 8-12 px: a square this wide fits only where
# valleys are filled (a square, not a disc: OpenCV opens with it in a tenth of the time).
BLOTCH_SIDE = 9
_BLOTCH_SQUARE = np.ones((BLOTCH_SIDE, BLOTCH_SIDE), np.uint8)


def _ridge_shares(
    image: NDArray[np.uint8], mask: NDArray[np.uint8], pixels: int
) -> tuple[float, float]:
    """The ridge share and the blotch share of the finger area (RegionOfInterest)."""
    if pixels == 0:
        return 0.0, 0.0
    histogram = cv2.calcHist([image], [0], mask, [256], [0, 256]).ravel()
    below = np.cumsum(histogram)  # below[g]: pixels of grey <= g
    dark = int(np.searchsorted(below, _DARK_PERCENTILE * pixels))
    light = int(np.searchsorted(below, _LIGHT_PERCENTILE * pixels))
    # Greys strictly below the midpoint.
    middle = (dark + light) / 2.0
    darker = int(np.ceil(middle)) - 1
    if darker < 0:
        return 0.0, 0.0
    # 1 where the grey is at most `darker`, inside the mask; an opening keeps a subset of its input.
    _, ridges = cv2.threshold(image, darker, 1, cv2.THRESH_BINARY_INV)
    blotches = cv2.morphologyEx(cv2.bitwise_and(ridges, mask), cv2.MORPH_OPEN, _BLOTCH_SQUARE)
    return float(below[darker] / pixels), cv2.countNonZero(blotches) / pixels


def region_of_interest(image: NDArray[np.uint8]) -> RegionOfInterest:
    """The print's foreground (mask, area, mean grey, tile coverage), by blurred Otsu thresholds."""
    height, width = image.shape
    # The blurs are wide (sigma 6.5 and 14 px): done on a quarter-size image, they lose nothing that
    # matters and save most of the time; only the final boundary is drawn at full resolution.
    eroded = _quarter(np.asarray(cv2.erode(image, np.ones((5, 5), np.uint8)), dtype=np.uint8))
    smooth = cv2.GaussianBlur(eroded, (0, 0), _sigma(41) / _SCALE)
    _, background = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    smooth = cv2.GaussianBlur(background, (0, 0), _sigma(91) / _SCALE)
    level, background = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    inside = (background == 0).astype(np.uint8)
    kept = _largest_part(_fill_holes(inside))
    # Full-resolution boundary from the upsampled blur; parts and holes decided at quarter size.
    full = cv2.resize(smooth, (width, height), interpolation=cv2.INTER_LINEAR) <= level
    # Grown by one quarter-size pixel so that nearest-neighbour upsampling cannot clip the boundary.
    grown = cv2.dilate(kept, np.ones((3, 3), np.uint8))
    kept_full = cv2.resize(grown, (width, height), interpolation=cv2.INTER_NEAREST)
    holes_full = cv2.resize(
        kept - (inside & kept), (width, height), interpolation=cv2.INTER_NEAREST
    )
    mask_u8 = ((full & (kept_full > 0)) | (holes_full > 0)).astype(np.uint8)
    pixels = int(cv2.countNonZero(mask_u8))
    mean = float(cv2.mean(image, mask=mask_u8)[0]) if pixels else 255.0
    # Per tile, partial ones included: the maximum over its rows, then over its columns.
    row_maxima = np.maximum.reduceat(mask_u8, np.arange(0, height, BLOCK), axis=0)
    tiles = np.maximum.reduceat(row_maxima, np.arange(0, width, BLOCK), axis=1) > 0
    ridge_share, blotch_share = _ridge_shares(image, mask_u8, pixels)
    return RegionOfInterest(
        mask=mask_u8.astype(bool),
        pixels=pixels,
        mean=mean,
        tiles=tiles,
        ridge_share=ridge_share,
        blotch_share=blotch_share,
    )

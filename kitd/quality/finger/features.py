"""All NFIQ 2 native quality features and the four actionable-feedback values of one 500 ppi image.

Names and order are NFIQ 2's (the columns of the reference labels). The image is first trimmed of
near-white margins; every measure then runs on the trimmed image, as in the reference. Pure function of the
pixels: nothing is stored, nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from kitd.quality.finger import minutiae as minutiae_extractor
from kitd.quality.finger.blocks import BLOCK, TileStatistics, slanted_blocks
from kitd.quality.finger.histogram import histogram_features, histogram_names
from kitd.quality.finger.image import Trimmed, grey_statistics, trim_near_white
from kitd.quality.finger.minutiae import Minutiae
from kitd.quality.finger.orientation import (
    TileMoments,
    coherence,
    ocl_of_blocks,
    ocl_tiles,
    orientation_flow,
)
from kitd.quality.finger.ridge_structure import fda, lcs, rvup
from kitd.quality.finger.roi import region_of_interest

# The actionable-feedback values NFIQ 2 reports next to the features.
FEEDBACK_VALUES = (
    "UniformImage",
    "EmptyImageOrContrastTooLow",
    "FingerprintImageWithMinutiae",
    "SufficientFingerprintForeground",
)

FEATURE_NAMES: tuple[str, ...] = (
    *histogram_names("FDA"),
    "FingerJetFX_MinCount_COMMinRect200x200",
    "FingerJetFX_MinutiaeCount",
    "FJFXPos_Mu_MinutiaeQuality_2",
    "FJFXPos_OCL_MinutiaeQuality_80",
    "ImgProcROIArea_Mean",
    *histogram_names("LCS"),
    "MMB",
    "Mu",
    *histogram_names("OCL"),
    *histogram_names("OF"),
    "OrientationMap_ROIFilter_CoherenceRel",
    "OrientationMap_ROIFilter_CoherenceSum",
    *histogram_names("RVUP"),
)

# Half the side of the central square in which minutiae are counted, around their centre of mass (px).
_CENTRAL_HALF = 100
# A minutia is "good" when its 32 x 32 neighbourhood is darker than the image by up to half a deviation...
_MU_RANGE = (0.0, 0.5)
# ... or when its block's orientation certainty, in percent, is above 80.
_OCL_PERCENT = 80


@dataclass(frozen=True)
class FeatureSet:
    """Native features (NFIQ 2 names), feedback values, and the geometry the feedback rules look at."""

    features: dict[str, float]
    feedback_values: dict[str, float]
    trimmed: Trimmed
    minutiae: Minutiae
    # Centre of the finger area as a share of the untrimmed image's width and height (0.5 = centred).
    finger_centre: tuple[float, float]
    # Share of the finger area covered by ridges, and by patches wider than a ridge
    # (roi.RegionOfInterest.ridge_share, blotch_share).
    ridge_share: float
    blotch_share: float


def _central_count(found: Minutiae, shape: tuple[int, int]) -> int:
    if found.count == 0:
        return 0
    cx, cy = int(found.x.sum()) // found.count, int(found.y.sum()) // found.count
    height, width = shape
    x0, x1 = max(0, cx - _CENTRAL_HALF), min(width - 1, cx + _CENTRAL_HALF)
    y0, y1 = max(0, cy - _CENTRAL_HALF), min(height - 1, cy + _CENTRAL_HALF)
    inside = (found.x >= x0) & (found.x <= x1) & (found.y >= y0) & (found.y <= y1)
    return int(inside.sum())


def _minutiae_quality(
    image: NDArray[np.uint8], found: Minutiae, mean: float, std: float
) -> tuple[float, float]:
    """Shares of minutiae in a moderately dark neighbourhood, and in a block of certain orientation.

    `mean` and `std`: the image's grey statistics.
    """
    if found.count == 0:
        return 0.0, 0.0
    height, width = image.shape
    half = BLOCK // 2
    # Mean of the 32 x 32 neighbourhood, clipped at the image edges, from an integral image.
    integral = cv2.integral(image, sdepth=cv2.CV_64F)
    x0, y0 = np.maximum(found.x - half, 0), np.maximum(found.y - half, 0)
    x1, y1 = np.minimum(x0 + BLOCK, width), np.minimum(y0 + BLOCK, height)
    sums = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    local = sums / ((x1 - x0) * (y1 - y0))
    darker = (mean - local) / std if std > 0 else np.zeros(found.count)
    mu_share = float(((darker > _MU_RANGE[0]) & (darker <= _MU_RANGE[1])).mean())
    # The OCL block is shifted inwards to stay whole.
    bx = np.clip(found.x - half, 0, width - BLOCK)
    by = np.clip(found.y - half, 0, height - BLOCK)
    blocks = sliding_window_view(image, (BLOCK, BLOCK))[by, bx]
    ocl, _ = ocl_of_blocks(blocks)
    ocl_share = float((np.floor(ocl * 100 + 0.5) > _OCL_PERCENT).mean())
    return mu_share, ocl_share


def _centre(
    mask: NDArray[np.bool_], trimmed: Trimmed, shape: tuple[int, ...]
) -> tuple[float, float]:
    """Centre of the finger area as a share of the untrimmed image's width and height."""
    # Row and column counts of the mask: cheaper than image moments, and the same centroid.
    mask_u8 = mask.view(np.uint8)
    columns = cv2.reduce(mask_u8, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    rows = cv2.reduce(mask_u8, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    area = int(columns.sum())
    if area == 0:
        return (0.5, 0.5)
    x = float(columns @ np.arange(columns.size, dtype=np.int64)) / area
    y = float(rows @ np.arange(rows.size, dtype=np.int64)) / area
    return ((trimmed.left + x) / shape[1], (trimmed.top + y) / shape[0])


def compute(pixels: NDArray[np.uint8]) -> FeatureSet:
    """Features of a validated 2-D uint8 image at 500 ppi (see image.validate)."""
    trimmed = trim_near_white(pixels)
    image = trimmed.pixels
    features: dict[str, float] = {}
    roi = region_of_interest(image)
    tiles = TileStatistics.of(image)
    grid = slanted_blocks(image, tiles)
    found = minutiae_extractor.extract(image, roi.mask)
    tile_moments = TileMoments.of(image)
    ocl, defined = ocl_tiles(tile_moments)
    coherence_sum, coherence_mean = coherence(image, roi.tiles, tile_moments)
    mean, deviation = grey_statistics(image)
    mu_share, ocl_share = _minutiae_quality(image, found, mean, deviation)

    features.update(histogram_features("FDA", fda(image, grid)))
    features["FingerJetFX_MinCount_COMMinRect200x200"] = float(_central_count(found, image.shape))
    features["FingerJetFX_MinutiaeCount"] = float(found.count)
    features["FJFXPos_Mu_MinutiaeQuality_2"] = mu_share
    features["FJFXPos_OCL_MinutiaeQuality_80"] = ocl_share
    features["ImgProcROIArea_Mean"] = roi.mean
    features.update(histogram_features("LCS", lcs(image, grid)))
    features["MMB"] = float(tiles.means.mean())
    features["Mu"] = mean
    features.update(histogram_features("OCL", ocl[defined]))
    features.update(histogram_features("OF", orientation_flow(grid)))
    features["OrientationMap_ROIFilter_CoherenceRel"] = coherence_mean
    features["OrientationMap_ROIFilter_CoherenceSum"] = coherence_sum
    features.update(histogram_features("RVUP", rvup(image, grid)))
    ordered = {name: features[name] for name in FEATURE_NAMES}

    feedback_values = {
        "UniformImage": deviation,
        "EmptyImageOrContrastTooLow": mean,
        "FingerprintImageWithMinutiae": float(found.count),
        "SufficientFingerprintForeground": float(roi.pixels),
    }
    centre = _centre(roi.mask, trimmed, pixels.shape)
    return FeatureSet(
        ordered, feedback_values, trimmed, found, centre, roi.ridge_share, roi.blotch_share
    )

"""Light and colour on the face: native values from the face-skin pixels.

Grey levels are 0-255 (BT.601 luma, as OpenCV's BGR to grey). This module must never look outside the
masks it is given, and never apply a threshold.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

# Grey levels counted as clipped: nearly black and nearly white.
DARK_LEVEL = 25
BRIGHT_LEVEL = 245


def masked(values: NDArray[np.uint8], mask: NDArray[np.uint8]) -> NDArray[np.uint8]:
    selected: NDArray[np.uint8] = values[mask > 0]
    return selected


def luminance(face_grey: NDArray[np.uint8]) -> float:
    return float(face_grey.mean()) if face_grey.size else math.nan


def under_exposure(face_grey: NDArray[np.uint8]) -> float:
    return float((face_grey < DARK_LEVEL).mean()) if face_grey.size else math.nan


def over_exposure(face_grey: NDArray[np.uint8]) -> float:
    return float((face_grey > BRIGHT_LEVEL).mean()) if face_grey.size else math.nan


def dynamic_range(face_grey: NDArray[np.uint8]) -> float:
    if not face_grey.size:
        return math.nan
    low, high = np.percentile(face_grey, [1, 99])
    return float(high - low)


def illumination_uniformity(left_grey: NDArray[np.uint8], right_grey: NDArray[np.uint8]) -> float:
    """Mean of the darker face half over the brighter one (1 = even)."""
    if not left_grey.size or not right_grey.size:
        return math.nan
    a, b = float(left_grey.mean()), float(right_grey.mean())
    return min(a, b) / max(a, b, 1e-6)


def lab_mean(bgr_pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
    """Mean CIELAB (L 0-100, a and b signed) of N x 3 BGR pixels."""
    lab = np.asarray(
        cv2.cvtColor(bgr_pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2LAB), dtype=np.uint8
    ).reshape(-1, 3)
    mean = lab.astype(np.float64).mean(axis=0)
    result: NDArray[np.float64] = np.array(
        [mean[0] * 100.0 / 255.0, mean[1] - 128.0, mean[2] - 128.0]
    )
    return result


def natural_colour(skin_bgr: NDArray[np.uint8]) -> float:
    """min(a*, b*) of the mean face skin: the weaker of its redness and yellowness, in CIELAB units."""
    if not len(skin_bgr):
        return math.nan
    _, a, b = lab_mean(skin_bgr)
    return float(min(a, b))

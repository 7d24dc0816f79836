"""Light and colour on the face: native values from the face-skin pixels.

Clipping and contrast are counted in grey levels 0-255 (BT.601 luma, as OpenCV's BGR to grey: what the
sensor delivered); brightness and colour are judged as a person sees them, in CIELAB (L* 0-100, a* and
b* signed, sRGB with a D65 white). This module must never look outside the masks it is given, and never
apply a threshold.
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


# Where skin of every tone lies in CIELAB (mean over the face), a* and b* ranges.
SKIN_A = (5.0, 25.0)
SKIN_B = (5.0, 35.0)
# Chroma (CIELAB) a plain backdrop may have: light grey, off-white and pale blue walls stay under it.
NEUTRAL_CHROMA = 10.0
MIN_BACKGROUND_PIXELS = 200


def luminance(skin_bgr: NDArray[np.uint8]) -> float:
    """Mean lightness L* (0 black .. 100 white) of N x 3 BGR face-skin pixels."""
    return float(lab_mean(skin_bgr)[0]) if len(skin_bgr) else math.nan


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


def natural_colour(skin_bgr: NDArray[np.uint8], background_bgr: NDArray[np.uint8]) -> float:
    """How far the colours are from natural, in CIELAB units (0 = natural): the larger of two departures.

    The mean face skin outside the skin ranges SKIN_A x SKIN_B: a blue, green or cyan cast takes redness
    or yellowness away, a strong red or yellow one adds too much. And the background's chroma beyond
    NEUTRAL_CHROMA: the backdrop behind the person is neutral (grey, off-white, a pale tint), so a colour
    cast of the light or of the white balance shows on it even when the skin's own colour hides it (skin
    tones span much of a cast's shift). Without enough background pixels only the skin counts.
    """
    if not len(skin_bgr):
        return math.nan
    _, a, b = lab_mean(skin_bgr)
    da = max(SKIN_A[0] - a, 0.0, a - SKIN_A[1])
    db = max(SKIN_B[0] - b, 0.0, b - SKIN_B[1])
    skin = math.hypot(da, db)
    if len(background_bgr) < MIN_BACKGROUND_PIXELS:
        return float(skin)
    _, bg_a, bg_b = lab_mean(background_bgr)
    return float(max(skin, math.hypot(bg_a, bg_b) - NEUTRAL_CHROMA))

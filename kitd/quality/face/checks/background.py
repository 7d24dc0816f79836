"""How plain the background around the head is.

The measure is how far the background departs from a smooth version of itself: a plain wall, even
with a light fall-off, hardly departs; shelves, posters, patterns and objects do. This module must never apply a
threshold.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

# The smooth background is blurred over this fraction of the image's longer side.
SMOOTH_FRACTION = 0.03
# Fewer background pixels than this cannot say anything (a face filling the frame).
MIN_PIXELS = 200


def smoothed(values: NDArray[np.float32], size: int) -> NDArray[np.float32]:
    """Two passes of a box filter: close to a Gaussian, at a cost that does not grow with its width."""
    once = cv2.blur(values, (size, size), borderType=cv2.BORDER_REFLECT)
    return np.asarray(cv2.blur(once, (size, size), borderType=cv2.BORDER_REFLECT), dtype=np.float32)


def background_activity(grey: NDArray[np.uint8], background: NDArray[np.uint8]) -> float:
    """Mean absolute departure of the background from its own smooth version, in grey levels.

    The smooth version is a masked Gaussian (normalised convolution), so a wall lit unevenly stays
    plain while objects, edges and patterns count; the head never bleeds into it.
    """
    if int(np.count_nonzero(background)) < MIN_PIXELS:
        return math.nan
    mask = (background > 0).astype(np.float32)
    image = cv2.GaussianBlur(grey, (0, 0), 1.0).astype(np.float32)
    size = max(3, int(2 * SMOOTH_FRACTION * max(grey.shape[:2])) | 1)
    weight = smoothed(mask, size)
    smooth = smoothed(image * mask, size) / np.maximum(weight, 1e-3)
    return float(np.abs(image - smooth)[mask > 0].mean())

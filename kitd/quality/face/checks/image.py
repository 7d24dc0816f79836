"""Image defects: blur and JPEG blockiness.

Sharpness uses the re-blur principle (Crété-Roffet et al. 2007): blurring a sharp image changes its
gradients a lot, blurring a blurred one hardly at all. It is measured on the face brought to a fixed
inter-eye distance so that the value does not depend on resolution. Blockiness compares grey-level steps
on the 8x8 JPEG block borders with steps inside blocks, on the image's own pixel grid (never on a resized
copy). This module must never apply a threshold.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

REBLUR = 9
BLOCK = 8


def reblur_sharpness(face_grey: NDArray[np.uint8]) -> float:
    """1 - blur estimate, in 0..1: about 0.7-0.9 for crisp faces, lower when blurred."""
    if min(face_grey.shape[:2]) < 2 * REBLUR:
        return math.nan
    image = face_grey.astype(np.float32)
    blur_metrics = []
    for axis, kernel in ((0, (1, REBLUR)), (1, (REBLUR, 1))):
        blurred = cv2.blur(image, kernel)
        d_image = np.abs(np.diff(image, axis=1 - axis))
        d_blurred = np.abs(np.diff(blurred, axis=1 - axis))
        lost = np.maximum(0.0, d_image - d_blurred)
        total = float(d_image.sum())
        if total <= 0:
            return 0.0
        blur_metrics.append((total - float(lost.sum())) / total)
    return 1.0 - max(blur_metrics)


def blockiness(grey: NDArray[np.uint8]) -> float:
    """Mean step across 8x8 block borders over the mean step elsewhere (1 = no block structure)."""
    if min(grey.shape[:2]) < 4 * BLOCK:
        return math.nan
    image = grey.astype(np.float32)
    ratios = []
    for steps in (np.abs(np.diff(image, axis=1)), np.abs(np.diff(image, axis=0)).T):
        # Column j of `steps` is the step between pixel j and j + 1; borders are at j = 7, 15, ...
        columns = steps.mean(axis=0)
        border = columns[BLOCK - 1 :: BLOCK]
        inside = np.delete(columns, np.arange(BLOCK - 1, columns.size, BLOCK))
        ratios.append(float(border.mean()) / max(float(inside.mean()), 1e-3))
    return float(np.mean(ratios))

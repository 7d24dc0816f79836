"""Image defects: defocus, motion blur and JPEG blockiness.

Sharpness uses the re-blur principle (Crété-Roffet et al. 2007): blurring a sharp image changes its
gradients a lot, blurring a blurred one hardly at all. It is measured in four directions (0, 45, 90 and
135 degrees) on the face brought to a fixed inter-eye distance, so the values do not depend on
resolution. Defocus softens every direction alike: `focus` is the sharpness of the sharpest direction.
A shake or a moving head smears one direction only: `motion_smear` is how much a direction falls
behind the one across it. Blockiness compares grey-level steps
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
# Pixel steps (dy, dx) along the four directions, and the re-blur kernels that smear along them.
DIRECTIONS = ((0, 1), (1, 1), (1, 0), (1, -1))


def line_kernel(dy: int, dx: int, length: int = REBLUR) -> NDArray[np.float32]:
    """A normalised kernel averaging `length` pixels along the step (dy, dx): a straight smear."""
    kernel = np.zeros((length, length), dtype=np.float32)
    centre = length // 2
    for k in range(-centre, centre + 1):
        kernel[centre + k * dy, centre + k * dx] = 1.0
    result: NDArray[np.float32] = kernel / kernel.sum()
    return result


def line_average(image: NDArray[np.float32], dy: int, dx: int) -> NDArray[np.float32]:
    """`image` averaged over REBLUR pixels along (dy, dx), edges mirrored (as filtering with line_kernel).

    Shifted sums of a padded copy: far cheaper than a 2D convolution with a mostly empty kernel.
    """
    c = REBLUR // 2
    padded = np.asarray(
        cv2.copyMakeBorder(image, c, c, c, c, cv2.BORDER_REFLECT_101), dtype=np.float32
    )
    h, w = image.shape
    total = np.zeros_like(image)
    for k in range(-c, c + 1):
        y, x = c + k * dy, c + k * dx
        total += padded[y : y + h, x : x + w]
    result: NDArray[np.float32] = np.asarray(total / REBLUR, dtype=np.float32)
    return result


def step(image: NDArray[np.float32], dy: int, dx: int) -> NDArray[np.float32]:
    """Absolute difference between each pixel and its neighbour at (dy, dx), inner pixels only."""
    h, w = image.shape
    x0, x1 = max(0, -dx), w - max(0, dx)
    here = image[0 : h - dy, x0:x1]
    there = image[dy:h, x0 + dx : x1 + dx]
    result: NDArray[np.float32] = np.abs(there - here)
    return result


def directional_sharpness(
    face_grey: NDArray[np.uint8], mask: NDArray[np.uint8] | None = None
) -> NDArray[np.float64]:
    """Re-blur sharpness (0 flat .. 1 crisp) along each of DIRECTIONS; NaN for too small a face.

    With a `mask` (same shape, non-zero where the face is) only steps that start on the face count, so
    hair and backdrop beside it do not.
    """
    if min(face_grey.shape[:2]) < 2 * REBLUR:
        return np.full(len(DIRECTIONS), math.nan)
    image = face_grey.astype(np.float32)
    h, w = image.shape
    values = []
    for dy, dx in DIRECTIONS:
        d_image = step(image, dy, dx)
        lost = np.maximum(0.0, d_image - step(line_average(image, dy, dx), dy, dx))
        if mask is not None:
            inside = mask[0 : h - dy, max(0, -dx) : w - max(0, dx)] > 0
            d_image, lost = d_image[inside], lost[inside]
        total = float(d_image.sum())
        values.append(float(lost.sum()) / total if total > 0 else 0.0)
    return np.array(values, dtype=np.float64)


def focus(sharpness: NDArray[np.float64]) -> float:
    """Sharpness of the sharpest direction: low only when every direction is soft (defocus).

    `sharpness` is directional_sharpness's result.
    """
    return float(sharpness.max())


def motion_smear(sharpness: NDArray[np.float64]) -> float:
    """How much sharper one direction is than the one across it: 0 when blur (if any) is even.

    Only directions of the same pixel geometry are compared (0 with 90 degrees, 45 with 135): a
    diagonal step is longer than a straight one, so a defocused face reads sharper on the diagonals.
    """
    s = sharpness
    if not np.isfinite(s).all():
        return math.nan
    return float(max(abs(s[0] - s[2]), abs(s[1] - s[3])))


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

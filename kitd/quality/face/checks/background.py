"""How plain the backdrop around the head is.

The measure is the share of the backdrop region (beside and above the head, from the mesh: see
regions.background_mask) whose colour departs from a smooth colour model of the wall: a plain wall, even
lit from one side, fits the model; shelves, posters, doors and objects do not. This module must never
apply a threshold.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

# Fewer backdrop pixels than this cannot say anything (a face filling the frame).
MIN_PIXELS = 200
# A backdrop pixel whose colour is farther than this (CIE76 ΔE) from the backdrop's colour model is
# something in front of the wall: well above JPEG noise and a wall's texture, below the difference
# between a wall and a poster, a door or a shelf.
CLUTTER_DELTA_E = 10.0
# The colour model is refitted on the pixels it explains this many times (robust to what stands in front).
REFITS = 3
STRIDE = 3


def backdrop_clutter(bgr: NDArray[np.uint8], background: NDArray[np.uint8]) -> float:
    """Share of the backdrop region whose colour departs from the wall's own colour model.

    The model is a quadratic surface over the image for each CIELAB channel (a plain wall, lit from one
    side or falling off towards the corners, is such a surface), fitted by least squares and refitted on
    the pixels it explains, so objects in front of the wall do not pull it. A share of the region does
    not depend on the image's size or the face's, and JPEG noise stays far below CLUTTER_DELTA_E.
    """
    # Every STRIDE-th row and column: the share needs far fewer pixels than the region has.
    ys, xs = np.nonzero(background[::STRIDE, ::STRIDE])
    if ys.size < MIN_PIXELS // STRIDE**2:
        return math.nan
    lab = np.asarray(cv2.cvtColor(bgr[::STRIDE, ::STRIDE], cv2.COLOR_BGR2LAB), dtype=np.float32)
    pixels = lab[ys, xs] * np.array([100.0 / 255.0, 1.0, 1.0], dtype=np.float32)
    h, w = background.shape[:2]
    u, v = 2.0 * STRIDE * xs / w - 1.0, 2.0 * STRIDE * ys / h - 1.0
    design = np.column_stack([np.ones_like(u), u, v, u * u, u * v, v * v]).astype(np.float32)
    explained = np.ones(ys.size, dtype=bool)
    residual = np.zeros(ys.size, dtype=np.float32)
    for _ in range(REFITS):
        if int(explained.sum()) < design.shape[1]:
            break
        # Normal equations: a 6 x 6 system, far cheaper than a least-squares solver on every pixel.
        fit_design, fit_pixels = design[explained], pixels[explained]
        try:
            coefficients = np.linalg.solve(fit_design.T @ fit_design, fit_design.T @ fit_pixels)
        except np.linalg.LinAlgError:
            break
        residual = np.linalg.norm(pixels - design @ coefficients, axis=1)
        explained = residual < CLUTTER_DELTA_E
    return float((residual >= CLUTTER_DELTA_E).mean())

"""Eyes, mouth, expression and forehead: native values from mesh points and a few face patches.

Ratios are scale-free (divided by an eye width, a mouth width or the inter-eye distance) so they hold
at any resolution. This module must never apply a threshold.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from kitd.quality.face import mesh
from kitd.quality.face.checks.photometry import lab_mean


def eye_openness(
    points: NDArray[np.float32], lids: tuple[tuple[int, int], ...], corners: tuple[int, int]
) -> float:
    xy = np.asarray(points[:, :2], dtype=np.float64)
    gap = np.mean([np.linalg.norm(xy[upper] - xy[lower]) for upper, lower in lids])
    width = float(np.linalg.norm(xy[corners[0]] - xy[corners[1]]))
    return float(gap / width) if width > 0 else math.nan


def eyes_open(points: NDArray[np.float32]) -> float:
    """Lid gap over eye width of the more closed eye."""
    return min(
        eye_openness(points, mesh.RIGHT_EYE_LIDS, mesh.RIGHT_EYE_CORNERS),
        eye_openness(points, mesh.LEFT_EYE_LIDS, mesh.LEFT_EYE_CORNERS),
    )


def mouth_opening(points: NDArray[np.float32]) -> float:
    """Inner lip gap over mouth width."""
    xy = np.asarray(points[:, :2], dtype=np.float64)
    gap = float(np.linalg.norm(xy[mesh.INNER_LIPS[0]] - xy[mesh.INNER_LIPS[1]]))
    width = float(np.linalg.norm(xy[mesh.MOUTH_CORNERS[0]] - xy[mesh.MOUTH_CORNERS[1]]))
    return gap / width if width > 0 else math.nan


def smile_lift(unrolled_points: NDArray[np.float64], inter_eye_distance: float) -> float:
    """Height of the mouth corners above the lips' centre, over the inter-eye distance (eye line level)."""
    centre_y = unrolled_points[list(mesh.INNER_LIPS), 1].mean()
    corners_y = unrolled_points[list(mesh.MOUTH_CORNERS), 1].mean()
    return (
        float((centre_y - corners_y) / inter_eye_distance) if inter_eye_distance > 0 else math.nan
    )


def eye_contrast(eye_grey: NDArray[np.uint8], skin_grey: NDArray[np.uint8]) -> float:
    """Spread of grey levels over one eye region, relative to the face's mean brightness.

    An open visible eye has dark iris, white sclera and lashes; an eye behind a dark lens, a hand or a
    strip of anything is nearly flat.
    """
    if eye_grey.size < 4 or not skin_grey.size:
        return math.nan
    return float(eye_grey.std() / max(float(skin_grey.mean()), 1.0))


def eyes_visible(
    right_eye: NDArray[np.uint8], left_eye: NDArray[np.uint8], skin_grey: NDArray[np.uint8]
) -> float:
    return min(eye_contrast(right_eye, skin_grey), eye_contrast(left_eye, skin_grey))


def forehead_difference(forehead_bgr: NDArray[np.uint8], cheeks_bgr: NDArray[np.uint8]) -> float:
    """CIE76 colour difference between forehead and cheeks: a hat or cap over the forehead stands out."""
    if not len(forehead_bgr) or not len(cheeks_bgr):
        return math.nan
    return float(np.linalg.norm(lab_mean(forehead_bgr) - lab_mean(cheeks_bgr)))

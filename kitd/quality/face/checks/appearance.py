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
    """The mean gap between the eyelids over the eye's width, corner to corner; NaN for width 0."""
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


def smile_index(unrolled_points: NDArray[np.float64], pitch: float) -> float:
    """How far both mouth corners stand out and up from the middle of the lips, over the eye distance.

    The mouth width plus twice the corners' height above the inner lips' middle, both over the distance
    between the eye centres; all in the mesh's 3D points (x, y, depth) with the eye line level
    (`geometry.unrolled`), so a turned head changes neither. The corners sit deeper than the lips'
    middle, so a nodded head moves them up or down in the picture: the lift is taken after undoing
    `pitch` (degrees, chin up > 0). A smile pulls each corner outwards and upwards, with the mouth
    closed or open; the eye distance does not move with the expression, so it stands for the face's
    own neutral proportions (a relaxed mouth is about 0.8 of it at any age).
    """
    xyz = unrolled_points
    right_eye = xyz[list(mesh.RIGHT_EYE_CORNERS)].mean(axis=0)
    left_eye = xyz[list(mesh.LEFT_EYE_CORNERS)].mean(axis=0)
    eye_distance = float(np.linalg.norm(left_eye - right_eye))
    if eye_distance <= 0:
        return math.nan
    corners = xyz[list(mesh.MOUTH_CORNERS)]
    middle = xyz[list(mesh.INNER_LIPS)].mean(axis=0)
    width = float(np.linalg.norm(corners[0] - corners[1]))
    # Rotate (y, depth) about the eye line's axis by the pitch: the mouth as a level head shows it.
    t = math.radians(pitch) if math.isfinite(pitch) else 0.0
    level_y = corners[:, 1] * math.cos(t) - corners[:, 2] * math.sin(t)
    middle_y = middle[1] * math.cos(t) - middle[2] * math.sin(t)
    lift = float(middle_y - level_y.mean())
    return (width + 2.0 * lift) / eye_distance


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
    """The lower contrast of the two eyes: an eye covered by anything makes the value small."""
    return min(eye_contrast(right_eye, skin_grey), eye_contrast(left_eye, skin_grey))


def forehead_difference(forehead_bgr: NDArray[np.uint8], cheeks_bgr: NDArray[np.uint8]) -> float:
    """CIE76 colour difference between forehead and cheeks: a hat or cap over the forehead stands out."""
    if not len(forehead_bgr) or not len(cheeks_bgr):
        return math.nan
    return float(np.linalg.norm(lab_mean(forehead_bgr) - lab_mean(cheeks_bgr)))

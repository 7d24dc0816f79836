"""Pixel regions of a face for the photometric checks, built from the mesh points.

Works on the assessor's small working copy (points given in its pixels). Masks are uint8 0/255 arrays of
the image's size. This module must never decide anything about quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.face import mesh

# Upper forehead patch between the brows and the top of the mesh.
FOREHEAD_PATCH = (109, 10, 338, 337, 151, 108)
RIGHT_CHEEK_PATCH = (117, 118, 101, 36, 205, 187, 123)
LEFT_CHEEK_PATCH = (346, 347, 330, 266, 425, 411, 352)
OUTER_LIPS = (
    61,
    185,
    40,
    39,
    37,
    0,
    267,
    269,
    270,
    409,
    291,
    375,
    321,
    405,
    314,
    17,
    84,
    181,
    91,
    146,
)
# How far the background region keeps away from the head, in face widths.
HEAD_CLEARANCE = 0.35
# Both rows of each brow (upper edge, lower edge): with its eye they bound the eye socket.
RIGHT_BROW_BAND = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46)
LEFT_BROW_BAND = (300, 293, 334, 296, 336, 285, 295, 282, 283, 276)
# Around both nostrils, from the alae over the tip to the base of the columella.
NOSTRILS = (48, 218, 237, 44, 1, 274, 457, 438, 278, 294, 455, 460, 327, 326, 2, 97, 98, 240, 235, 64)  # fmt: skip
# The base of the nose (the alae's lower ends): below it moustache and beard grow.
NOSE_BASE = (98, 327)
# The bare skin keeps this far inside the mesh's face outline, in face widths: the outline runs through
# the hairline, the temples' hair and the jaw's shadow on the neck.
OUTLINE_MARGIN = 0.08


@dataclass(frozen=True)
class FaceRegions:
    """Masks of the face's parts (skin, eyes, forehead, cheeks) and the background."""

    # Face skin without eyes, brows and mouth.
    skin: NDArray[np.uint8]
    # Skin that is skin on every face: the face skin inside a margin along the outline, above the nose
    # base (no moustache or beard), without eye sockets and nostrils.
    bare_skin: NDArray[np.uint8]
    right_eye: NDArray[np.uint8]
    left_eye: NDArray[np.uint8]
    forehead: NDArray[np.uint8]
    cheeks: NDArray[np.uint8]
    background: NDArray[np.uint8]


def polygon_mask(
    shape: tuple[int, int], points: NDArray[np.float64], *, hull: bool = False
) -> NDArray[np.uint8]:
    """A 0/255 mask of the polygon through `points` (or of their convex hull)."""
    mask = np.zeros(shape, dtype=np.uint8)
    pts = np.round(points).astype(np.int32)
    if hull:
        pts = np.asarray(cv2.convexHull(pts), dtype=np.int32)
    cv2.fillPoly(mask, [pts.reshape(-1, 1, 2)], 255)
    return mask


def scaled_about_centre(points: NDArray[np.float64], factor: float) -> NDArray[np.float64]:
    """The points moved away from (factor > 1) or towards their centroid."""
    centre = points.mean(axis=0)
    result: NDArray[np.float64] = centre + (points - centre) * factor
    return result


def face_regions(
    shape: tuple[int, int], points: NDArray[np.float64], crown: NDArray[np.float64]
) -> FaceRegions:
    """Masks for an image of `shape` (h, w); `points` 468 x 2 and `crown` in the same pixels."""
    oval = polygon_mask(shape, points[list(mesh.FACE_OVAL)])
    holes = np.zeros(shape, dtype=np.uint8)
    for contour, factor in (
        (mesh.RIGHT_EYE_CONTOUR, 1.6),
        (mesh.LEFT_EYE_CONTOUR, 1.6),
        (OUTER_LIPS, 1.15),
        (mesh.RIGHT_BROW, 1.3),
        (mesh.LEFT_BROW, 1.3),
    ):
        holes |= polygon_mask(shape, scaled_about_centre(points[list(contour)], factor), hull=True)
    skin = np.asarray(cv2.bitwise_and(oval, cv2.bitwise_not(holes)), dtype=np.uint8)

    right_eye = polygon_mask(
        shape, scaled_about_centre(points[list(mesh.RIGHT_EYE_CONTOUR)], 1.1), hull=True
    )
    left_eye = polygon_mask(
        shape, scaled_about_centre(points[list(mesh.LEFT_EYE_CONTOUR)], 1.1), hull=True
    )
    forehead = polygon_mask(shape, points[list(FOREHEAD_PATCH)], hull=True)
    cheeks = polygon_mask(shape, points[list(RIGHT_CHEEK_PATCH)], hull=True) | polygon_mask(
        shape, points[list(LEFT_CHEEK_PATCH)], hull=True
    )
    return FaceRegions(
        skin=skin,
        bare_skin=bare_skin_mask(skin, points),
        right_eye=right_eye,
        left_eye=left_eye,
        forehead=forehead,
        cheeks=cheeks,
        background=background_mask(shape, points, crown),
    )


def shrunk_outline(points: NDArray[np.float64], margin: float) -> NDArray[np.float64]:
    """The face outline moved `margin` px towards its centre, point by point."""
    outline = points[list(mesh.FACE_OVAL)]
    towards = outline.mean(axis=0) - outline
    lengths = np.maximum(np.linalg.norm(towards, axis=1, keepdims=True), 1e-6)
    result: NDArray[np.float64] = outline + towards * np.minimum(margin / lengths, 1.0)
    return result


def above_nose_base(shape: tuple[int, int], points: NDArray[np.float64]) -> NDArray[np.uint8]:
    """The half of the image on the forehead's side of the line across the face at the nose base."""
    down = points[mesh.CHIN] - points[mesh.FOREHEAD]
    reach = 4.0 * max(float(np.linalg.norm(down)), 1.0)
    down = down / max(float(np.linalg.norm(down)), 1e-6)
    across = np.array([-down[1], down[0]])
    base = points[list(NOSE_BASE)].mean(axis=0)
    corners = np.array(
        [
            base - reach * across,
            base + reach * across,
            base + reach * (across - down),
            base - reach * (across + down),
        ]
    )
    return polygon_mask(shape, corners)


def bare_skin_mask(skin: NDArray[np.uint8], points: NDArray[np.float64]) -> NDArray[np.uint8]:
    """The part of the face `skin` that no beard, hair, nostril or eye socket takes, on any face.

    The mesh cannot tell a beard from skin nor the outline's hairline from the forehead, and nostrils and
    eye sockets are dark in any light on dark skin; on dark skin all of them read as crushed shadows.
    """
    shape = (skin.shape[0], skin.shape[1])
    face_width = float(np.linalg.norm(points[mesh.LEFT_FACE_SIDE] - points[mesh.RIGHT_FACE_SIDE]))
    inner = polygon_mask(shape, shrunk_outline(points, OUTLINE_MARGIN * face_width))
    holes = polygon_mask(shape, scaled_about_centre(points[list(NOSTRILS)], 1.1), hull=True)
    for eye, brow in (
        (mesh.RIGHT_EYE_CONTOUR, RIGHT_BROW_BAND),
        (mesh.LEFT_EYE_CONTOUR, LEFT_BROW_BAND),
    ):
        holes |= polygon_mask(shape, scaled_about_centre(points[list(eye + brow)], 1.1), hull=True)
    kept = cv2.bitwise_and(cv2.bitwise_and(skin, inner), above_nose_base(shape, points))
    return np.asarray(cv2.bitwise_and(kept, cv2.bitwise_not(holes)), dtype=np.uint8)


def background_mask(
    shape: tuple[int, int], points: NDArray[np.float64], crown: NDArray[np.float64]
) -> NDArray[np.uint8]:
    """Where the background should be: above the chin, clear of an enlarged head outline (hair included).

    Below the chin are the neck and the shoulders, so that part is left out.
    """
    face_width = float(np.linalg.norm(points[mesh.LEFT_FACE_SIDE] - points[mesh.RIGHT_FACE_SIDE]))
    chin = points[mesh.CHIN]
    head = np.vstack([points[list(mesh.FACE_OVAL)], crown[None, :]])
    centre = (head.min(axis=0) + head.max(axis=0)) / 2.0
    clearance = HEAD_CLEARANCE * face_width
    axes = (
        int((head[:, 0].max() - head[:, 0].min()) / 2.0 + clearance),
        int((head[:, 1].max() - head[:, 1].min()) / 2.0 + clearance),
    )
    region = np.zeros(shape, dtype=np.uint8)
    region[: max(0, int(chin[1])), :] = 255
    cv2.ellipse(region, (int(centre[0]), int(centre[1])), axes, 0.0, 0.0, 360.0, 0, -1)
    # Long hair falls beside the neck: keep a column of one face width each side clear below the eyes.
    eye_y = int((points[mesh.RIGHT_EYE_CORNERS[0], 1] + points[mesh.LEFT_EYE_CORNERS[0], 1]) / 2)
    x0 = max(0, int(centre[0] - axes[0]))
    x1 = max(0, int(centre[0] + axes[0]))
    region[max(0, eye_y) :, x0:x1] = 0
    return region

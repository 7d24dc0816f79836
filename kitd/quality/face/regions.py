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


@dataclass(frozen=True)
class FaceRegions:
    """Masks of the face's parts (skin and its halves, eyes, forehead, cheeks) and the background."""

    # Face skin without eyes, brows and mouth.
    skin: NDArray[np.uint8]
    # The skin split at the face's midline: the image's left half and right half.
    skin_left: NDArray[np.uint8]
    skin_right: NDArray[np.uint8]
    right_eye: NDArray[np.uint8]
    left_eye: NDArray[np.uint8]
    forehead: NDArray[np.uint8]
    cheeks: NDArray[np.uint8]
    background: NDArray[np.uint8]


def polygon_mask(
    shape: tuple[int, int], points: NDArray[np.float64], hull: bool = False
) -> NDArray[np.uint8]:
    mask = np.zeros(shape, dtype=np.uint8)
    pts = np.round(points).astype(np.int32)
    if hull:
        pts = np.asarray(cv2.convexHull(pts), dtype=np.int32)
    cv2.fillPoly(mask, [pts.reshape(-1, 1, 2)], 255)
    return mask


def scaled_about_centre(points: NDArray[np.float64], factor: float) -> NDArray[np.float64]:
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

    # The midline through the upper forehead and the chin splits the face into halves.
    top, bottom = points[mesh.FOREHEAD], points[mesh.CHIN]
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    side = (bottom[0] - top[0]) * (ys - top[1]) - (bottom[1] - top[1]) * (xs - top[0])
    image_left = np.where(side > 0, 255, 0).astype(np.uint8)
    skin_left = np.asarray(cv2.bitwise_and(skin, image_left), dtype=np.uint8)
    skin_right = np.asarray(cv2.bitwise_and(skin, cv2.bitwise_not(image_left)), dtype=np.uint8)

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
        skin_left=skin_left,
        skin_right=skin_right,
        right_eye=right_eye,
        left_eye=left_eye,
        forehead=forehead,
        cheeks=cheeks,
        background=background_mask(shape, points, crown),
    )


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

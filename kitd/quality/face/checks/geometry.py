"""Roll, position and size of the head from the 468 mesh points (image pixels, z in the same scale).

Yaw and pitch come from the perspective fit in pose.py. Conventions: roll > 0 leans the head to the
person's left shoulder; yaw > 0 turns the face to the person's left; pitch > 0 lifts the chin. The crown (top of the skull, hair ignored, as ICAO measures
chin to crown) is not a mesh point: it lies on the chin-forehead axis at CROWN_FACTOR times the
chin-to-upper-forehead distance, an anthropometric proportion checked on the reference portraits.
This module must never look at pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kitd.quality.face import mesh

CROWN_FACTOR = 1.3
# The ears stick out beyond the mesh's face sides by about this fraction of the face width, each side.
EAR_MARGIN = 0.08


@dataclass(frozen=True)
class HeadFrame:
    """The head's landmarks that the geometry checks measure from: eyes, chin, crown, sides."""

    right_eye: NDArray[np.float64]
    left_eye: NDArray[np.float64]
    chin: NDArray[np.float64]
    crown: NDArray[np.float64]
    # Face sides (the person's right and left), x and y.
    right_side: NDArray[np.float64]
    left_side: NDArray[np.float64]

    @property
    def eye_midpoint(self) -> NDArray[np.float64]:
        return (self.right_eye + self.left_eye) / 2.0

    @property
    def inter_eye_distance(self) -> float:
        return float(np.linalg.norm(self.left_eye - self.right_eye))


def eye_centre(points: NDArray[np.float32], corners: tuple[int, int]) -> NDArray[np.float64]:
    """The middle between the eye corners (ICAO's eye centre for an open, forward-looking eye)."""
    centre: NDArray[np.float64] = np.asarray(points[list(corners), :2], dtype=np.float64).mean(
        axis=0
    )
    return centre


def head_frame(points: NDArray[np.float32]) -> HeadFrame:
    """The landmarks the geometry checks measure from: eye centres, chin, crown and face sides."""
    xy = np.asarray(points[:, :2], dtype=np.float64)
    chin = xy[mesh.CHIN]
    forehead = xy[mesh.FOREHEAD]
    return HeadFrame(
        right_eye=eye_centre(points, mesh.RIGHT_EYE_CORNERS),
        left_eye=eye_centre(points, mesh.LEFT_EYE_CORNERS),
        chin=chin,
        crown=chin + CROWN_FACTOR * (forehead - chin),
        right_side=xy[mesh.RIGHT_FACE_SIDE],
        left_side=xy[mesh.LEFT_FACE_SIDE],
    )


def roll_degrees(frame: HeadFrame) -> float:
    """The tilt of the eye line in degrees (positive: the head leans to the left shoulder)."""
    d = frame.left_eye - frame.right_eye
    return float(np.degrees(np.arctan2(d[1], d[0])))


def unrolled(points: NDArray[np.float32], roll: float) -> NDArray[np.float64]:
    """The points rotated about the origin so that the eye line is horizontal; z unchanged."""
    c, s = np.cos(np.radians(-roll)), np.sin(np.radians(-roll))
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    result: NDArray[np.float64] = np.asarray(points, dtype=np.float64) @ rotation.T
    return result


def frontal_eye_distance(frame: HeadFrame, yaw: float) -> float:
    """The inter-eye distance the face would show turned to the camera (as OFIQ measures it): a turned
    head foreshortens the eye line by cos(yaw), its resolution stays the same. Unchanged without a
    usable yaw or beyond 60 degrees, where the far eye is hardly seen.
    """
    if math.isnan(yaw) or abs(yaw) > 60.0:
        return frame.inter_eye_distance
    return frame.inter_eye_distance / math.cos(math.radians(yaw))


def eyes_centered(frame: HeadFrame, width: int) -> float:
    """The eye midpoint's distance from the left edge, as a share of the width."""
    return float(frame.eye_midpoint[0] / width)


def eye_line_height(frame: HeadFrame, height: int) -> float:
    """The eye midpoint's distance from the top, as a share of the height."""
    return float(frame.eye_midpoint[1] / height)


def head_size(frame: HeadFrame, height: int) -> float:
    """Chin to crown as a share of the picture's height."""
    return float(np.linalg.norm(frame.chin - frame.crown) / height)


def head_box(frame: HeadFrame) -> tuple[float, float, float, float]:
    """x0, y0, x1, y1 of the whole head (crown to chin, ear to ear), axis-aligned."""
    face_width = float(np.linalg.norm(frame.left_side - frame.right_side))
    xs = [frame.right_side[0], frame.left_side[0], frame.crown[0], frame.chin[0]]
    ys = [frame.crown[1], frame.chin[1], frame.right_side[1], frame.left_side[1]]
    margin = EAR_MARGIN * face_width
    return min(xs) - margin, min(ys), max(xs) + margin, max(ys)


def head_fully_visible(frame: HeadFrame, width: int, height: int) -> float:
    """Fraction of the head box inside the image."""
    x0, y0, x1, y1 = head_box(frame)
    area = max(1e-6, (x1 - x0) * (y1 - y0))
    inside_w = max(0.0, min(x1, width) - max(x0, 0.0))
    inside_h = max(0.0, min(y1, height) - max(y0, 0.0))
    return float(inside_w * inside_h / area)

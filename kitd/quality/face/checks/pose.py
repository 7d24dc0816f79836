"""Head pose (yaw, pitch, roll) from the mesh points by a perspective fit of a canonical 3D face.

`cv2.solvePnP` finds the rotation that makes a fixed, average adult face (CANONICAL_FACE, millimetres)
project onto the mesh's 2D points under a pinhole camera whose focal length is a typical portrait lens's
(FOCAL_FRACTION of the longer image side). Many stable points take part (eye corners, nose, mouth,
chin, forehead, cheeks), so the angles follow the whole face and not the mesh's noisy depth channel or a
ratio of two distances. Conventions as in geometry.py: yaw > 0 turns the face to the person's left, pitch
> 0 lifts the chin, roll > 0 leans the head to the person's left shoulder. This module must never look at
pixels or apply a threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

# Mesh index -> (x, y, z) in mm, camera frame of a frontal face: x to the image's right (the person's
# left), y down, z away from the camera; origin between the inner eye corners. The shape is the face
# mesh's own 3D output on a public-domain studio portrait (scikit-image's astronaut photo), scaled to a
# 32 mm intercanthal width and made symmetric (each left/right pair averaged, midline points at x = 0).
# How that portrait's head was tilted does not carry over: `upright` turns the shape so the upper
# forehead and the chin are equally deep, the profile line upright, which is what "level" means here.
CANONICAL_FACE: dict[int, tuple[float, float, float]] = {
    33: (-42.0, -1.5, 5.0),  # right eye, outer corner
    133: (-16.0, 0.0, 0.0),  # right eye, inner corner
    362: (16.0, 0.0, 0.0),  # left eye, inner corner
    263: (42.0, -1.5, 5.0),  # left eye, outer corner
    168: (0.0, -5.9, -16.3),  # nasion, between the eyes
    6: (0.0, 1.3, -20.2),  # nasal bridge
    1: (0.0, 34.5, -34.3),  # nose tip
    2: (0.0, 39.1, -19.0),  # below the nose
    98: (-18.7, 35.2, -11.6),  # right nostril wing
    327: (18.7, 35.2, -11.6),  # left nostril wing
    61: (-32.6, 51.0, 8.4),  # right mouth corner
    291: (32.6, 51.0, 8.4),  # left mouth corner
    0: (0.0, 49.2, -16.0),  # upper lip, middle
    17: (0.0, 72.3, -8.8),  # lower lip, below
    152: (0.0, 98.3, 7.6),  # chin
    105: (-37.9, -23.3, -9.4),  # right brow, middle
    334: (37.9, -23.3, -9.4),  # left brow, middle
    50: (-47.6, 24.3, 1.0),  # right cheek
    280: (47.6, 24.3, 1.0),  # left cheek
    10: (0.0, -48.3, -14.7),  # upper forehead
}
MODEL_INDICES = tuple(CANONICAL_FACE)


def upright(shape: dict[int, tuple[float, float, float]]) -> NDArray[np.float64]:
    """The shape's points (in MODEL_INDICES order) turned about x until forehead and chin are equally deep."""
    points = np.array([shape[i] for i in MODEL_INDICES], dtype=np.float64)
    forehead, chin = np.array(shape[10]), np.array(shape[152])
    angle = math.atan2(chin[2] - forehead[2], chin[1] - forehead[1])
    c, s = math.cos(angle), math.sin(angle)
    turn = np.array([[1.0, 0.0, 0.0], [0.0, c, s], [0.0, -s, c]])
    result: NDArray[np.float64] = points @ turn.T
    return result


MODEL_POINTS = upright(CANONICAL_FACE)
# The camera is taken to stand this far from the face (ICAO recommends 1.2-2.5 m), so the focal length
# in pixels follows from the face's size in the picture. A photo may be a crop of a larger frame, so the
# image size says nothing about the lens; the face's size does.
CAMERA_DISTANCE_MM = 1500.0
# The model's outer eye corners are this far apart (mm).
MODEL_EYE_WIDTH = 84.0


@dataclass(frozen=True)
class HeadPose:
    yaw: float
    pitch: float
    roll: float


def camera_matrix(width: int, height: int, eye_width_px: float) -> NDArray[np.float64]:
    focal = max(eye_width_px, 1.0) * CAMERA_DISTANCE_MM / MODEL_EYE_WIDTH
    return np.array(
        [[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]], dtype=np.float64
    )


def head_pose(points: NDArray[np.float32], width: int, height: int) -> HeadPose:
    """Yaw, pitch and roll in degrees of the face with mesh `points` (image pixels) in a width x height image."""
    image_points = np.ascontiguousarray(points[list(MODEL_INDICES), :2], dtype=np.float64)
    if not np.isfinite(image_points).all():
        return HeadPose(math.nan, math.nan, math.nan)
    ok, rvec, tvec = cv2.solvePnP(
        MODEL_POINTS,
        image_points,
        camera_matrix(width, height, float(np.linalg.norm(image_points[3] - image_points[0]))),
        None,
        flags=cv2.SOLVEPNP_SQPNP,
    )
    if not ok:
        return HeadPose(math.nan, math.nan, math.nan)
    rotation = np.asarray(cv2.Rodrigues(rvec)[0], dtype=np.float64)
    return pose_angles(line_of_sight(np.asarray(tvec, dtype=np.float64).ravel()).T @ rotation)


def line_of_sight(position: NDArray[np.float64]) -> NDArray[np.float64]:
    """The camera frame turned so its z axis points at the face.

    ICAO asks for a face turned to the camera, i.e. to the line from the lens to the face, not to the
    optical axis: a frontal face high in the picture is seen from below, and against the optical axis it
    would read as a lifted chin. Angles are taken in this frame.
    """
    z = position / max(float(np.linalg.norm(position)), 1e-9)
    x = np.cross(np.array([0.0, 1.0, 0.0]), z)
    x /= max(float(np.linalg.norm(x)), 1e-9)
    y = np.cross(z, x)
    return np.column_stack([x, y, z])


def pose_angles(rotation: NDArray[np.float64]) -> HeadPose:
    """Yaw, pitch, roll (degrees) of a model-to-camera rotation, decomposed as R = Ry(yaw) Rx(pitch) Rz(roll).

    The face's forward direction is -z (towards the camera). Turning the face to the person's left (the
    image's right) swings the nose to +x; lifting the chin swings it to -y (up).
    """
    forward = rotation @ np.array([0.0, 0.0, -1.0])
    yaw = math.degrees(math.atan2(forward[0], -forward[2]))
    pitch = math.degrees(math.atan2(-forward[1], math.hypot(forward[0], forward[2])))
    # Roll: how the model's x axis (eye line) leans once yaw and pitch are taken out.
    cy, sy = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
    cp, sp = math.cos(math.radians(pitch)), math.sin(math.radians(pitch))
    ry = np.array([[cy, 0.0, -sy], [0.0, 1.0, 0.0], [sy, 0.0, cy]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]])
    remaining = rx.T @ ry.T @ rotation
    roll = math.degrees(math.atan2(remaining[1, 0], remaining[0, 0]))
    return HeadPose(yaw, pitch, roll)

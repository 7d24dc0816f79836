"""Head pose (yaw, pitch, roll) from the mesh points.

Yaw comes from the face's left-right symmetry, two ways that need no model of a face's shape: the
direction across the face in the mesh's own 3D output (the mean of the vectors between mirror points,
MIRROR_PAIRS) and, in the picture alone, how far the nose tip sits off the midline of the face outline.
A fixed face model reads a person whose proportions differ from it as turned (on the reference
mugshots, 1.4 times the turn that both symmetry measures see); symmetry holds for every face, so a
frontal face reads 0 whatever its nose or its width. The yaw is the mean of the two.

Pitch and roll come from a perspective fit: `cv2.solvePnP` finds the rotation that makes a fixed,
average adult face (CANONICAL_FACE, millimetres) project onto the mesh's 2D points. Up and down have no
symmetry to lean on, so "level" is the model's. The tilt of the forehead-to-chin line in the mesh's own
depth (`pitch_depth`) is a second, model-free reading, kept for evidence. Conventions as in
geometry.py: yaw > 0 turns the face to the person's left, pitch > 0 lifts the chin, roll > 0 leans the
head to the person's left shoulder. This module must never look at pixels or apply a threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.face import mesh

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


# Face-outline points, (person's right, left), from the cheekbones to the jaw: their midpoints give the
# face's midline in the picture.
OUTLINE_PAIRS = ((127, 356), (234, 454), (93, 323), (132, 361), (58, 288))
# How far the nose tip stands in front of those outline points, over their half distance: 1.45 on the
# astronaut portrait's mesh (a real head: nose tip about 95 mm before the face's sides at the ears,
# which are about 70 mm from the midline). It sets the scale of the symmetry yaw, not its zero.
NOSE_DEPTH_RATIO = 1.45


@dataclass(frozen=True)
class HeadPose:
    """The head's yaw, pitch and roll in degrees, with the readings they come from."""

    yaw: float
    pitch: float
    roll: float
    # The two symmetry readings the yaw is the mean of, and the model-free pitch (see above).
    yaw_depth: float = math.nan
    yaw_symmetry: float = math.nan
    pitch_depth: float = math.nan


def agreed_turn(first: float, second: float) -> float:
    """The turn two independent readings agree on: the one nearer to level when both lean the same way,
    0 when they lean opposite ways (NaN readings are ignored; both NaN gives NaN).

    A limit judged on it fails only when both readings are beyond it on the same side, so a face that
    either reading puts within the limit passes: a pose limit must not fire on one estimate's error.
    """
    if math.isnan(first) or math.isnan(second):
        return second if math.isnan(first) else first
    if first * second <= 0.0:
        return 0.0
    return first if abs(first) < abs(second) else second


def camera_matrix(width: int, height: int, eye_width_px: float) -> NDArray[np.float64]:
    """A pinhole camera for the pose solver, focal length from the eye width at usual distance."""
    focal = max(eye_width_px, 1.0) * CAMERA_DISTANCE_MM / MODEL_EYE_WIDTH
    return np.array(
        [[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]], dtype=np.float64
    )


def depth_yaw(points: NDArray[np.float32]) -> float:
    """Yaw (degrees) of the direction across the face in the mesh's 3D output (x, y, depth).

    The vector from each point on the person's right to its mirror on the left lies along the face's
    left-right axis whatever the face's shape; their mean turns with the head: (cos yaw, ., sin yaw).
    """
    xyz = np.asarray(points, dtype=np.float64)
    pairs = np.asarray(mesh.MIRROR_PAIRS)
    across = (xyz[pairs[:, 1]] - xyz[pairs[:, 0]]).mean(axis=0)
    return math.degrees(math.atan2(float(across[2]), float(across[0])))


def symmetry_yaw(points: NDArray[np.float32]) -> float:
    """Yaw (degrees) from the nose tip's offset from the midline of the face outline, in the picture.

    Turned by yaw, the nose tip moves off the outline's midline by its depth in front of the outline
    times sin(yaw) while the outline's half width shrinks by cos(yaw): offset / half width =
    NOSE_DEPTH_RATIO * tan(yaw). Measured along the eye line, so roll does not count.
    """
    xy = np.asarray(points[:, :2], dtype=np.float64)
    across = xy[mesh.LEFT_EYE_CORNERS[0]] - xy[mesh.RIGHT_EYE_CORNERS[0]]
    across /= max(float(np.linalg.norm(across)), 1e-9)
    pairs = np.asarray(OUTLINE_PAIRS)
    right, left = xy[pairs[:, 0]] @ across, xy[pairs[:, 1]] @ across
    half_width = float((left - right).mean()) / 2.0
    if half_width <= 0.0:
        return math.nan
    offset = float(xy[mesh.NOSE_TIP] @ across - ((left + right) / 2.0).mean())
    return math.degrees(math.atan2(offset / half_width, NOSE_DEPTH_RATIO))


def depth_pitch(points: NDArray[np.float32]) -> float:
    """Pitch (degrees) of the upper-forehead-to-chin line in the mesh's own depth: 0 when both are
    equally deep, the definition of level the canonical face was built with; > 0 when the chin comes
    forward (lifted).
    """
    xyz = np.asarray(points, dtype=np.float64)
    down = xyz[mesh.CHIN] - xyz[mesh.FOREHEAD]
    # Both points' image y and depth, turned with the eye line out of the way first.
    across = xyz[mesh.LEFT_EYE_CORNERS[0], :2] - xyz[mesh.RIGHT_EYE_CORNERS[0], :2]
    across /= max(float(np.linalg.norm(across)), 1e-9)
    vertical = float(down[1] * across[0] - down[0] * across[1])
    return math.degrees(math.atan2(-float(down[2]), vertical))


def head_pose(points: NDArray[np.float32], width: int, height: int) -> HeadPose:
    """Yaw, pitch and roll in degrees of the face with mesh `points` (image pixels, depth) in a
    width x height image.
    """
    fitted = fitted_pose(points, width, height)
    if not np.isfinite(points).all():
        return fitted
    by_depth, by_symmetry = depth_yaw(points), symmetry_yaw(points)
    return HeadPose(
        yaw=(by_depth + by_symmetry) / 2.0,
        pitch=fitted.pitch,
        roll=fitted.roll,
        yaw_depth=by_depth,
        yaw_symmetry=by_symmetry,
        pitch_depth=depth_pitch(points),
    )


def fitted_pose(points: NDArray[np.float32], width: int, height: int) -> HeadPose:
    """Yaw, pitch and roll (degrees) of the canonical face's perspective fit to the mesh's 2D points."""
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

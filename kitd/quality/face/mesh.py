"""The 468-point face mesh through OpenCV DNN, and the names of the mesh points the checks use.

The mesh runs on a square crop around a detected face, rotated so the eyes are level, and its points are
mapped back to the image the crop came from. This module must never decide whether a photo is good: it
only locates the face.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.face.detection import Detection

INPUT_SIZE = 192
# The crop is this many times the detector's box, so the whole face and a margin are inside.
ROI_SCALE = 1.5
# Below this presence score the mesh is fitted to something that is not a face.
MIN_FACE_SCORE = 0.5

# Mesh point indices (MediaPipe's canonical face mesh). "Right"/"left" are the person's own sides; the
# person's right eye is on the image's left in a normal (unmirrored) photo.
RIGHT_EYE_CONTOUR = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE_CONTOUR = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_CORNERS = (263, 362)
# Upper/lower lid pairs, three across each eye.
RIGHT_EYE_LIDS = ((160, 144), (159, 145), (158, 153))
LEFT_EYE_LIDS = ((385, 380), (386, 374), (387, 373))
RIGHT_BROW = (70, 63, 105, 66, 107)
LEFT_BROW = (300, 293, 334, 296, 336)
NOSE_TIP = 1
CHIN = 152
FOREHEAD = 10
MOUTH_CORNERS = (61, 291)
INNER_LIPS = (13, 14)
RIGHT_CHEEK = 50
LEFT_CHEEK = 280
RIGHT_FACE_SIDE = 234
LEFT_FACE_SIDE = 454
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip


@dataclass(frozen=True)
class MeshFit:
    # 468 x 3: x, y in the source image's pixels; z (depth, towards the camera negative) in the same scale.
    points: NDArray[np.float32]
    # Probability that the crop held a face.
    score: float


def roi_transform(detection: Detection) -> NDArray[np.float64]:
    """The 2x3 affine map from the image into the mesh's input square, eyes level."""
    x, y, w, h = detection.box
    centre = (x + w / 2.0, y + h / 2.0)
    eye_a, eye_b = detection.keypoints[0], detection.keypoints[1]
    angle = float(np.degrees(np.arctan2(eye_b[1] - eye_a[1], eye_b[0] - eye_a[0])))
    side = ROI_SCALE * max(w, h)
    matrix = np.asarray(cv2.getRotationMatrix2D(centre, angle, INPUT_SIZE / side), dtype=np.float64)
    matrix[0, 2] += INPUT_SIZE / 2.0 - centre[0]
    matrix[1, 2] += INPUT_SIZE / 2.0 - centre[1]
    return matrix


class FaceMesh:
    """The mesh network; one instance per thread (OpenCV nets are not re-entrant)."""

    def __init__(self, net: cv2.dnn.Net) -> None:
        self._net = net
        self._outputs = list(net.getUnconnectedOutLayersNames())

    def fit(self, bgr: NDArray[np.uint8], detection: Detection) -> MeshFit:
        matrix = roi_transform(detection)
        crop = np.asarray(
            cv2.warpAffine(
                bgr,
                matrix,
                (INPUT_SIZE, INPUT_SIZE),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE,
            ),
            dtype=np.uint8,
        )
        blob = cv2.dnn.blobFromImage(crop, 1.0 / 255.0, (INPUT_SIZE, INPUT_SIZE), swapRB=True)
        self._net.setInput(blob)
        outs = self._net.forward(self._outputs)
        raw_score, raw_points = sorted(outs, key=lambda out: int(out.size))
        score = float(1.0 / (1.0 + np.exp(-np.clip(float(raw_score.ravel()[0]), -80.0, 80.0))))
        crop_points = raw_points.reshape(468, 3).astype(np.float64)
        inverse = np.asarray(cv2.invertAffineTransform(matrix), dtype=np.float64)
        xy = crop_points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        # The map is a similarity, so depth scales like x and y.
        scale = float(np.hypot(inverse[0, 0], inverse[1, 0]))
        points = np.column_stack([xy, crop_points[:, 2] * scale]).astype(np.float32)
        return MeshFit(points=points, score=score)

"""Face tracking for live streams: the detector runs every few frames; in between, the mesh is fitted
where the face has moved to since (the way MediaPipe's face pipeline runs live).

On a detection frame the tracker keeps the detector's region and that frame's mesh. On the next frames
it moves the kept region by the similarity transform between that mesh and the latest one, so the mesh
network sees the face framed exactly as the detector would have framed it. This saves the detector's
share of every preview frame. A lost face (the mesh's confidence drops) forces detection on the next
frame; the face count (single_face) is the latest detection's, so a second face entering the picture
is noticed within `detect_every` frames. Stills and captures never use a tracker: they always detect.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.face.detection import Detection


class FaceTracker:
    """A face tracker for live preview: detects every few frames and follows the face in between."""

    def __init__(self, detect_every: int = 4) -> None:
        self.detect_every = max(1, detect_every)
        self._since_detection = self.detect_every
        self._detections: list[Detection] = []
        # The detector's region and the mesh on the last detection frame (working-copy pixels).
        self._anchor: Detection | None = None
        self._anchor_points: NDArray[np.float32] | None = None
        self._points: NDArray[np.float32] | None = None

    def wants_detection(self) -> bool:
        return self._points is None or self._since_detection >= self.detect_every

    @property
    def detections(self) -> list[Detection]:
        return self._detections

    def tracked_detection(self) -> Detection | None:
        """The detector's region moved with the face to where the latest mesh found it."""
        if self._anchor is None or self._anchor_points is None or self._points is None:
            return None
        matrix, _ = cv2.estimateAffinePartial2D(self._anchor_points, self._points)
        if matrix is None:
            return None
        scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
        x, y, w, h = self._anchor.box
        centre = matrix @ np.array([x + w / 2.0, y + h / 2.0, 1.0])
        keypoints = self._anchor.keypoints.astype(np.float64) @ matrix[:, :2].T + matrix[:, 2]
        size_w, size_h = w * scale, h * scale
        box = (
            float(centre[0] - size_w / 2.0),
            float(centre[1] - size_h / 2.0),
            size_w,
            size_h,
        )
        return Detection(box=box, score=self._anchor.score, keypoints=keypoints.astype(np.float32))

    def detected(self, detections: list[Detection]) -> None:
        self._detections = detections
        self._since_detection = 0
        self._anchor = detections[0] if detections else None
        self._anchor_points = None

    def fitted(self, points: NDArray[np.float32] | None) -> None:
        """The mesh of this frame (working-copy pixels, x and y), None when it saw no face."""
        self._since_detection += 1
        if points is None:
            self._points = None
            return
        self._points = np.ascontiguousarray(points[:, :2], dtype=np.float32)
        if self._anchor_points is None:
            self._anchor_points = self._points

"""Face detection with BlazeFace (full range) through OpenCV DNN: boxes and six key points per face.

Runs on the small working copy the assessor makes; coordinates come back in that copy's pixels. This
module must never read files other than the model (models.py does that) nor keep state between calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

# The full-range model sees a 192x192 square; one anchor per cell of a 48x48 grid (stride 4).
INPUT_SIZE = 192
GRID = 48
# Raw scores are logits; clipping keeps the sigmoid finite in float32.
LOGIT_LIMIT = 80.0
MIN_SCORE = 0.5
NMS_IOU = 0.3


@dataclass(frozen=True)
class Detection:
    """A face the detector found: its box, score and six key points."""

    # x, y, w, h in working-copy pixels.
    box: tuple[float, float, float, float]
    score: float
    # Six points in working-copy pixels: the eye on the image's left, the eye on the image's right, nose
    # tip, mouth centre, and the two tragions (ear points) in the same left/right order.
    keypoints: NDArray[np.float32]

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]


def anchor_centres() -> NDArray[np.float32]:
    """Anchor centres in the unit square, row by row, as the model's output is ordered."""
    cells = (np.arange(GRID, dtype=np.float32) + 0.5) / GRID
    ys, xs = np.meshgrid(cells, cells, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


ANCHORS = anchor_centres()


def letterbox(image: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], float, int, int]:
    """The image padded to a centred square and resized to the model input; scale and padding back."""
    h, w = image.shape[:2]
    side = max(h, w)
    pad_x, pad_y = (side - w) // 2, (side - h) // 2
    square = np.asarray(
        cv2.copyMakeBorder(
            image,
            pad_y,
            side - h - pad_y,
            pad_x,
            side - w - pad_x,
            cv2.BORDER_CONSTANT,
            value=(0, 0, 0),
        ),
        dtype=np.uint8,
    )
    small = np.asarray(
        cv2.resize(square, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    return small, side / INPUT_SIZE, pad_x, pad_y


def decode(
    raw_boxes: NDArray[np.float32], raw_scores: NDArray[np.float32], min_score: float = MIN_SCORE
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Model outputs to (N x 16 boxes in the unit square: cx, cy, w, h, 6 points) and N scores."""
    logits = np.clip(raw_scores.reshape(-1), -LOGIT_LIMIT, LOGIT_LIMIT)
    scores = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    keep = scores >= min_score
    boxes = raw_boxes.reshape(-1, 16)[keep] / INPUT_SIZE
    anchors = ANCHORS[keep]
    boxes[:, 0:2] += anchors
    boxes[:, 4:16] += np.tile(anchors, (1, 6))
    return boxes.astype(np.float32), scores[keep]


class FaceDetector:
    """BlazeFace on a cv2.dnn network; one instance per thread (OpenCV nets are not re-entrant)."""

    def __init__(self, net: cv2.dnn.Net) -> None:
        self._net = net
        self._outputs = list(net.getUnconnectedOutLayersNames())

    def detect(self, bgr: NDArray[np.uint8], min_score: float = MIN_SCORE) -> list[Detection]:
        """Faces in the image, most confident first."""
        small, scale, pad_x, pad_y = letterbox(bgr)
        blob = cv2.dnn.blobFromImage(
            small, 1.0 / 127.5, (INPUT_SIZE, INPUT_SIZE), (127.5, 127.5, 127.5), swapRB=True
        )
        self._net.setInput(blob)
        outs = self._net.forward(self._outputs)
        # The score output has one value per anchor, the box output sixteen.
        raw_scores, raw_boxes = (
            np.asarray(out, dtype=np.float32)
            for out in sorted(outs, key=lambda o: int(o.shape[-1]))
        )
        boxes, scores = decode(raw_boxes, raw_scores, min_score)
        if len(scores) == 0:
            return []
        side = INPUT_SIZE * scale
        pixels = boxes * side
        pixels[:, 0::2] -= pad_x
        pixels[:, 1::2] -= pad_y
        # cx, cy were shifted by the padding like the points; w, h (columns 2, 3) must not be.
        pixels[:, 2] += pad_x
        pixels[:, 3] += pad_y
        rects = [
            [float(cx - w / 2), float(cy - h / 2), float(w), float(h)]
            for cx, cy, w, h in pixels[:, :4]
        ]
        kept = cv2.dnn.NMSBoxes(rects, scores.tolist(), min_score, NMS_IOU)
        found = [
            Detection(
                box=(rects[i][0], rects[i][1], rects[i][2], rects[i][3]),
                score=float(scores[i]),
                keypoints=pixels[i, 4:16].reshape(6, 2).astype(np.float32),
            )
            for i in np.asarray(kept, dtype=int).ravel()
        ]
        return sorted(found, key=lambda d: -d.score)

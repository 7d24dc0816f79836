"""Live tracking: the detector runs every few frames, the mesh follows the face in between."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.face import FaceAssessor, FaceTracker


def shifted(image: NDArray[np.uint8], dx: float, dy: float) -> NDArray[np.uint8]:
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    height, width = image.shape[:2]
    moved = cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(moved, dtype=np.uint8)


def test_the_detector_runs_on_the_first_frame_and_then_every_nth() -> None:
    tracker = FaceTracker(detect_every=3)
    asked = []
    for _ in range(7):
        asked.append(tracker.wants_detection())
        if asked[-1]:
            tracker.detected([])
        tracker.fitted(np.zeros((468, 3), np.float32))
    assert asked == [True, False, False, True, False, False, True]


def test_a_lost_face_is_detected_again_on_the_next_frame() -> None:
    tracker = FaceTracker(detect_every=10)
    tracker.detected([])
    tracker.fitted(np.zeros((468, 3), np.float32))
    assert not tracker.wants_detection()
    tracker.fitted(None)
    assert tracker.wants_detection()


def test_tracked_landmarks_follow_a_moving_face(
    assessor: FaceAssessor, astronaut: NDArray[np.uint8]
) -> None:
    tracker = FaceTracker(detect_every=100)
    assessor.assess(astronaut, tracker=tracker)
    frames = [shifted(astronaut, 2.0 * k, 1.0 * k) for k in range(1, 5)]
    for frame in frames:
        tracked = assessor.assess(frame, tracker=tracker)
        detected = assessor.assess(frame)
        assert tracked.landmarks is not None and detected.landmarks is not None
        error = float(np.abs(tracked.landmarks - detected.landmarks).mean())
        assert error < 3.0, error
        assert tracked.face_count == 1


def test_a_second_face_is_counted_within_the_detection_interval(
    assessor: FaceAssessor, astronaut: NDArray[np.uint8]
) -> None:
    tracker = FaceTracker(detect_every=3)
    for _ in range(3):
        assessor.assess(astronaut, tracker=tracker)
    small = cv2.resize(astronaut, None, fx=0.45, fy=0.45)
    crowd = astronaut.copy()
    crowd[-small.shape[0] :, -small.shape[1] :] = small
    counts = [assessor.assess(crowd, tracker=tracker).face_count for _ in range(3)]
    assert 2 in counts
    assert assessor.assess(crowd).check("single_face").passed is False

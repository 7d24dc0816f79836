"""Pose noise on a live stream: a still simulated face, streamed over the camera's real transport, reads
the same yaw, pitch and roll frame after frame (spread within 1 degree over 30 frames).

The simulator sends the same picture every frame; a real sensor does not, so each frame gets its own
sensor noise (seeded, about what a webcam gives in good light) before it is assessed. The preview's own
configuration is checked (tracker with the detector every few frames, landmark smoothing), and the pose
fit without smoothing as well, so the smoother does not hide a noisy measure.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from numpy.typing import NDArray
from sims.camera.camera_process import SimulatedCamera

from hal.camera.opencv import OpenCVCamera
from hal.registry import resolve
from kitd.capture.face import PREVIEW_DETECT_EVERY
from kitd.quality.face import FaceAssessor, FaceTracker, LandmarkSmoother

FRAMES = 30
SENSOR_NOISE = 3.0  # grey levels, standard deviation


@pytest.fixture(scope="module")
def still_frames() -> list[NDArray[np.uint8]]:
    """30 consecutive frames of the default (frontal) scene, each with its own sensor noise."""
    rng = np.random.default_rng(13)
    frames = []
    with SimulatedCamera({"width": 1280, "height": 720}) as sim:
        device = resolve(sim.source, name="camera")
        assert isinstance(device, OpenCVCamera)
        device.open()
        try:
            for frame in device.frames(timeout=5.0):
                noisy = frame.image + rng.normal(0.0, SENSOR_NOISE, frame.image.shape)
                frames.append(np.clip(noisy, 0, 255).astype(np.uint8))
                if len(frames) == FRAMES:
                    break
        finally:
            device.close()
    return frames


def pose_spread(
    assessor: FaceAssessor, frames: list[NDArray[np.uint8]], smoother: LandmarkSmoother | None
) -> Iterator[tuple[str, float, list[float]]]:
    tracker = FaceTracker(PREVIEW_DETECT_EVERY)
    readings = [assessor.assess(f, smoother, tracker) for f in frames]
    for check in ("yaw", "pitch", "roll"):
        values = [r.check(check).value for r in readings]
        yield check, max(values) - min(values), values


@pytest.mark.parametrize("smoothed", [True, False], ids=["as-the-preview", "unsmoothed"])
def test_a_still_face_streamed_for_30_frames_keeps_its_pose_within_one_degree(
    still_frames: list[NDArray[np.uint8]], assessor: FaceAssessor, *, smoothed: bool
) -> None:
    smoother = LandmarkSmoother() if smoothed else None
    for check, spread, values in pose_spread(assessor, still_frames, smoother):
        assert spread <= 1.0, (check, values)
        # The default scene looks into the camera: the still face is also a frontal one.
        assert abs(values[-1]) <= 5.0, (check, values[-1])

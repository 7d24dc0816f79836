"""The face flows: a live preview with ICAO checks and guidance, and the photo capture.

Preview: every new camera frame is assessed (landmarks smoothed over frames), downscaled and JPEG-encoded
for the app. Capture: in auto mode the flow watches frames until the first compliant one, keeps looking
for a short settling window, and takes the best; if nothing is compliant before the timeout, the best
frame seen is taken and recorded as a failed attempt (the operator may retake or override). The chosen
frame is cropped to the 35 x 45 mm photo and its checks are the attempt's checks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from hal.camera.base import Camera, Frame
from hal.supervisor import DeviceSupervisor
from kitd.capture.events import FacePreview, FaceResult
from kitd.errors import CapabilityMissing
from kitd.quality.face import FaceAssessment, FaceAssessor, LandmarkSmoother, crop_passport_photo
from kitd.session.model import CaptureKind, FacePayload
from kitd.session.session import Session

# After the first compliant frame, keep looking this long for a better one.
SETTLE_S = 0.4
PREVIEW_JPEG_QUALITY = 75


@dataclass
class _Candidate:
    frame: Frame
    assessment: FaceAssessment

    @property
    def rank(self) -> tuple[bool, float]:
        checks = self.assessment.checks
        mean = sum(c.quality for c in checks) / len(checks) if checks else 0.0
        return self.assessment.compliant, mean


def _monotonic_to_wall(t: float) -> float:
    return time.time() - (time.monotonic() - t)


def _downscale(image: NDArray[np.uint8], max_size: int) -> tuple[NDArray[np.uint8], float]:
    height, width = image.shape[:2]
    scale = min(1.0, max_size / max(width, height))
    if scale >= 1.0:
        return image, 1.0
    size = (round(width * scale), round(height * scale))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.asarray(resized, dtype=np.uint8), scale


class FaceCapture:
    def __init__(self, camera: DeviceSupervisor | None, assessor: FaceAssessor) -> None:
        self._camera = camera
        self._assessor = assessor

    def _supervisor(self) -> DeviceSupervisor:
        if self._camera is None:
            raise CapabilityMissing("no camera is configured on this kit")
        return self._camera

    def preview(self, session: Session, max_size: int = 640) -> Iterator[FacePreview]:
        session.step_for(CaptureKind.FACE)  # refuses when the visit takes no photo
        smoother = LandmarkSmoother()
        with self._supervisor().acquire(shared=True) as device:
            assert isinstance(device, Camera)
            for frame in device.frames(timeout=3.0):
                assessment = self._assessor.assess(frame.image, smoother)
                small, scale = _downscale(frame.image, max_size)
                ok, jpeg = cv2.imencode(
                    ".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, PREVIEW_JPEG_QUALITY]
                )
                box = assessment.face_box
                landmarks = assessment.landmarks
                yield FacePreview(
                    frame_id=frame.frame_id,
                    grabbed_at=_monotonic_to_wall(frame.grabbed_at),
                    jpeg=jpeg.tobytes() if ok else b"",
                    width=int(small.shape[1]),
                    height=int(small.shape[0]),
                    face_box=None if box is None else tuple(float(v) * scale for v in box),  # type: ignore[arg-type]
                    landmarks=()
                    if landmarks is None
                    else tuple((float(x) * scale, float(y) * scale) for x, y in landmarks),
                    face_count=assessment.face_count,
                    checks=assessment.checks,
                    guidance=assessment.guidance,
                    ready=assessment.compliant,
                    corrupt_frames=frame.corrupt_frames,
                )

    def capture(self, session: Session, auto: bool = True, timeout_s: float = 0.0) -> FaceResult:
        policy = session.policy.face
        step = session.step_for(CaptureKind.FACE)
        session.begin(step)
        try:
            candidate = self._choose(auto, timeout_s or policy.capture_timeout_s)
            jpeg, checks = crop_passport_photo(
                candidate.frame.image,
                candidate.assessment,
                width=policy.photo_width,
                height=policy.photo_height,
                quality=policy.jpeg_quality,
            )
            mean_quality = round(sum(c.quality for c in checks) / len(checks)) if checks else 0
            attempt = session.record_attempt(
                step,
                FacePayload(jpeg, policy.photo_width, policy.photo_height),
                mean_quality,
                checks,
                candidate.assessment.guidance,
            )
        except BaseException:
            session.abandon(step)
            raise
        return FaceResult(
            attempt, jpeg, policy.photo_width, policy.photo_height, candidate.assessment.face_box
        )

    def _choose(self, auto: bool, timeout_s: float) -> _Candidate:
        best: _Candidate | None = None
        deadline = time.monotonic() + timeout_s
        settle_until: float | None = None
        smoother = LandmarkSmoother()
        with self._supervisor().acquire(shared=True) as device:
            assert isinstance(device, Camera)
            for frame in device.frames(timeout=3.0):
                candidate = _Candidate(frame, self._assessor.assess(frame.image, smoother))
                if best is None or candidate.rank > best.rank:
                    best = candidate
                if not auto:
                    break
                now = time.monotonic()
                if best.assessment.compliant and settle_until is None:
                    settle_until = now + SETTLE_S
                if (settle_until is not None and now >= settle_until) or now >= deadline:
                    break
        assert best is not None  # frames() yields at least once or raises
        return best

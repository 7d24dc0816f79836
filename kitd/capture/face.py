"""The face flows: a live preview with ICAO checks and guidance, and the photo capture.

Preview: every new camera frame is assessed (landmarks smoothed over frames), downscaled and JPEG-encoded
for the app. Capture: in auto mode the flow watches frames until the first compliant one, keeps looking
for a short settling window, and takes the best; if nothing is compliant before the timeout, the best
frame seen is taken and recorded as a failed attempt (the operator may retake or override). The chosen
frame is cropped to the 35 x 45 mm photo and its checks are the attempt's checks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from hal.camera.base import Camera, Frame
from hal.supervisor import DeviceSupervisor
from kitd.capture.events import FacePreview, FaceResult
from kitd.capture.fanout import Fanout
from kitd.errors import CapabilityMissing, CaptureTimeout
from kitd.locale.message import Message
from kitd.quality.check import CheckResult
from kitd.quality.face import (
    FaceAssessment,
    FaceAssessor,
    FaceThresholds,
    FaceTracker,
    LandmarkSmoother,
    crop_passport_photo,
)
from kitd.session.model import CaptureKind, FacePayload
from kitd.session.session import Session

# After the first compliant frame, keep looking this long for a better one.
SETTLE_S = 0.4
PREVIEW_JPEG_QUALITY = 75
# The preview runs the face detector on every third frame and tracks the face in between.
PREVIEW_DETECT_EVERY = 3
# Where the head sits in the camera frame does not matter: the crop places it. These checks are
# measured again on the photo (with the other framing checks) instead.
FRAME_PLACEMENT = frozenset({"eyes_centered", "eye_line_height", "head_size"})


def frame_checks(assessment: FaceAssessment) -> tuple[CheckResult, ...]:
    """The checks of a camera frame that decide whether a photo taken from it can be compliant."""
    return tuple(c for c in assessment.checks if c.id not in FRAME_PLACEMENT)


def frame_ready(assessment: FaceAssessment) -> bool:
    """One face, and every check a photo cropped from this frame depends on passes."""
    return assessment.face_count == 1 and all(c.passed for c in frame_checks(assessment))


@dataclass
class _Candidate:
    frame: Frame
    assessment: FaceAssessment

    @property
    def rank(self) -> tuple[bool, float]:
        checks = frame_checks(self.assessment)
        mean = sum(c.quality for c in checks) / len(checks) if checks else 0.0
        return frame_ready(self.assessment), mean


def _placement_advice(assessment: FaceAssessment) -> set[Message]:
    return {
        c.guidance for c in assessment.checks if c.id in FRAME_PLACEMENT and c.guidance is not None
    }


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


def _preview(frame: Frame, assessment: FaceAssessment, max_size: int) -> FacePreview:
    small, scale = _downscale(frame.image, max_size)
    ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, PREVIEW_JPEG_QUALITY])
    box = assessment.face_box
    landmarks = assessment.landmarks
    return FacePreview(
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
        checks=frame_checks(assessment),
        guidance=tuple(g for g in assessment.guidance if g not in _placement_advice(assessment)),
        ready=frame_ready(assessment),
        corrupt_frames=frame.corrupt_frames,
    )


class FaceCapture:
    """The photo step's capture flow: live preview and the photo, from the camera."""

    def __init__(
        self,
        camera: DeviceSupervisor | None,
        assessor_factory: Callable[[FaceThresholds], FaceAssessor] = FaceAssessor,
    ) -> None:
        self._camera = camera
        self._factory = assessor_factory
        # OpenCV networks are not thread-safe: each RPC thread gets its own assessors, one per
        # policy (policies may override thresholds); preview producers take spare ones.
        self._local = threading.local()
        self._previews: Fanout[FacePreview] = Fanout("face-preview")
        self._spares: dict[str, list[FaceAssessor]] = {}
        self._spares_lock = threading.Lock()

    def _assessor(self, session: Session) -> FaceAssessor:
        assessors: dict[str, FaceAssessor] | None = getattr(self._local, "assessors", None)
        if assessors is None:
            assessors = self._local.assessors = {}
        policy = session.policy
        assessor = assessors.get(policy.id)
        if assessor is None:
            thresholds = FaceThresholds.from_dict(policy.face.thresholds)
            assessor = assessors[policy.id] = self._factory(thresholds)
        return assessor

    def _supervisor(self) -> DeviceSupervisor:
        if self._camera is None:
            raise CapabilityMissing(Message("error.no_camera"))
        return self._camera

    def preview(self, session: Session, max_size: int = 640) -> Iterator[FacePreview]:
        """Live frames with their checks. Every client watching the same policy at the same size
        shares one assessment of each frame (see kitd.capture.fanout).
        """
        session.step_for(CaptureKind.FACE)  # refuses when the visit takes no photo
        thresholds = session.policy.face.thresholds
        key = (session.policy.id, max_size)
        return self._previews.read(key, lambda: self._assessed_frames(key[0], thresholds, max_size))

    def _assessed_frames(
        self, policy_id: str, thresholds: dict[str, Any], max_size: int
    ) -> Iterator[FacePreview]:
        assessor = self._spare_assessor(policy_id, thresholds)
        smoother = LandmarkSmoother()
        tracker = FaceTracker(PREVIEW_DETECT_EVERY)
        try:
            with self._supervisor().acquire(shared=True) as device:
                assert isinstance(device, Camera)
                for frame in device.frames():
                    yield _preview(frame, assessor.assess(frame.image, smoother, tracker), max_size)
        finally:
            with self._spares_lock:
                self._spares.setdefault(policy_id, []).append(assessor)

    def _spare_assessor(self, policy_id: str, thresholds: dict[str, Any]) -> FaceAssessor:
        """An assessor no other preview producer is using (they are not thread-safe)."""
        with self._spares_lock:
            spares = self._spares.get(policy_id)
            if spares:
                return spares.pop()
        return self._factory(FaceThresholds.from_dict(thresholds))

    def capture(self, session: Session, *, auto: bool = True, timeout_s: float = 0.0) -> FaceResult:
        policy = session.policy.face
        step = session.step_for(CaptureKind.FACE)
        session.begin(step)
        try:
            candidate = self._choose(
                self._assessor(session), auto=auto, timeout_s=timeout_s or policy.capture_timeout_s
            )
            if candidate.assessment.landmarks is None:
                seconds = f"{timeout_s or policy.capture_timeout_s:.0f}"
                raise CaptureTimeout(
                    Message.of("error.no_face_seen", seconds=seconds), device="camera"
                )
            photo = crop_passport_photo(
                candidate.frame.image,
                candidate.assessment,
                width=policy.photo_width,
                height=policy.photo_height,
                quality=policy.jpeg_quality,
            )
            photo_ids = {c.id for c in photo.checks}
            checks = tuple(c for c in candidate.assessment.checks if c.id not in photo_ids) + tuple(
                photo.checks
            )
            mean_quality = round(sum(c.quality for c in checks) / len(checks)) if checks else 0
            # The attempt's feedback: the ids of the advice, as language-free as the finger's codes.
            guidance = tuple(
                c.guidance.id for c in checks if not c.passed and c.guidance is not None
            )
            attempt = session.record_attempt(
                step,
                FacePayload(photo.jpeg, photo.width, photo.height),
                mean_quality,
                checks,
                guidance,
            )
        except BaseException:
            session.abandon(step)
            raise
        jpeg = photo.jpeg
        return FaceResult(
            attempt, jpeg, policy.photo_width, policy.photo_height, candidate.assessment.face_box
        )

    def _choose(self, assessor: FaceAssessor, *, auto: bool, timeout_s: float) -> _Candidate:
        best: _Candidate | None = None
        deadline = time.monotonic() + timeout_s
        settle_until: float | None = None
        smoother = LandmarkSmoother()
        with self._supervisor().acquire(shared=True) as device:
            assert isinstance(device, Camera)
            for frame in device.frames():
                candidate = _Candidate(frame, assessor.assess(frame.image, smoother))
                if best is None or candidate.rank > best.rank:
                    best = candidate
                if not auto:
                    break
                now = time.monotonic()
                if frame_ready(best.assessment) and settle_until is None:
                    settle_until = now + SETTLE_S
                if (settle_until is not None and now >= settle_until) or now >= deadline:
                    break
        assert best is not None  # frames() yields at least once or raises
        return best

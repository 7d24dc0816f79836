"""The events capture flows yield: plain data, converted to kit.v1 messages by the API layer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from hal.signpad.base import PenSample
from kitd.locale.message import Message
from kitd.quality.check import CheckResult
from kitd.session.model import Attempt
from kitd.session.session import Session

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FacePreview:
    frame_id: int
    # Wall-clock time the camera frame was grabbed.
    grabbed_at: float
    jpeg: bytes = field(repr=False)
    width: int
    height: int
    # In preview-image coordinates.
    face_box: Box | None
    landmarks: tuple[tuple[float, float], ...]
    face_count: int
    checks: tuple[CheckResult, ...]
    guidance: tuple[Message, ...]
    ready: bool
    corrupt_frames: int


@dataclass(frozen=True)
class FaceResult:
    attempt: Attempt
    photo_jpeg: bytes = field(repr=False)
    photo_width: int
    photo_height: int
    # In the camera frame's coordinates.
    face_box: Box | None


@dataclass(frozen=True)
class FingerWaiting:
    finger: int
    attempt_number: int
    instruction: Message


@dataclass(frozen=True)
class FingerPreview:
    pixels: NDArray[np.uint8] = field(repr=False)
    ppi: int
    finger_present: bool
    live_quality: int
    feedback: tuple[str, ...]


@dataclass(frozen=True)
class FingerDetected:
    finger: int


@dataclass(frozen=True)
class FingerCaptured:
    attempt: Attempt
    png: bytes = field(repr=False)
    width: int
    height: int
    ppi: int
    # The visit as the attempt left it; it may have ended with it (a delivery not verified).
    session: Session = field(repr=False)


@dataclass(frozen=True)
class FingerLift:
    instruction: Message


FingerEvent = FingerWaiting | FingerPreview | FingerDetected | FingerCaptured | FingerLift


@dataclass(frozen=True)
class PenBatch:
    samples: tuple[PenSample, ...]
    max_x: int
    max_y: int


@dataclass(frozen=True)
class SignatureCleared:
    clear_count: int


@dataclass(frozen=True)
class SignatureResult:
    attempt: Attempt
    png: bytes = field(repr=False)
    width: int
    height: int
    iso_19794_7: bytes = field(repr=False)


SignatureEvent = PenBatch | SignatureCleared | SignatureResult

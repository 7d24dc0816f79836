"""The events capture flows yield: plain data, converted to kit.v1 messages by the API layer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from hal.signpad.base import PenSample
from kitd.locale.message import Message
from kitd.quality.check import CheckResult
from kitd.session.model import Attempt
from kitd.session.view import SessionView

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FacePreview:
    """One live preview frame: the JPEG, the face found in it, its checks and guidance."""

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
    """The photo a face capture took, with its attempt and where the face is."""

    attempt: Attempt
    photo_jpeg: bytes = field(repr=False)
    photo_width: int
    photo_height: int
    # In the camera frame's coordinates.
    face_box: Box | None


@dataclass(frozen=True)
class FingerWaiting:
    """The reader waits for the finger the step asks for."""

    finger: int
    attempt_number: int
    instruction: Message


@dataclass(frozen=True)
class FingerPreview:
    """One live image from the reader, with a rough quality and feedback."""

    pixels: NDArray[np.uint8] = field(repr=False)
    ppi: int
    finger_present: bool
    live_quality: int
    feedback: tuple[str, ...]


@dataclass(frozen=True)
class FingerDetected:
    """A finger landed on the reader's glass."""

    finger: int


@dataclass(frozen=True)
class FingerCaptured:
    """The final image of a finger capture, with its attempt and the visit after it."""

    attempt: Attempt
    png: bytes = field(repr=False)
    width: int
    height: int
    ppi: int
    # The visit as the attempt left it; it may have ended with it (a delivery not verified).
    session: SessionView = field(repr=False)


@dataclass(frozen=True)
class FingerLift:
    """The capture is done: the citizen should lift the finger."""

    instruction: Message


FingerEvent = FingerWaiting | FingerPreview | FingerDetected | FingerCaptured | FingerLift


@dataclass(frozen=True)
class PenBatch:
    """Pen samples from the pad, as they arrive while the citizen signs."""

    samples: tuple[PenSample, ...]
    max_x: int
    max_y: int


@dataclass(frozen=True)
class SignatureCleared:
    """The pad's drawing was cleared; the signature starts again."""

    clear_count: int


@dataclass(frozen=True)
class SignatureResult:
    """The signature a capture took: its image, ISO/IEC 19794-7 record and attempt."""

    attempt: Attempt
    png: bytes = field(repr=False)
    width: int
    height: int
    iso_19794_7: bytes = field(repr=False)


SignatureEvent = PenBatch | SignatureCleared | SignatureResult

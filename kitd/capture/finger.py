"""The finger capture flow: one attempt for the finger the policy asks for, as a stream of events.

waiting → (previews with live quality, finger detected)* → captured (quality, feedback, attempt) → lift.
The reader auto-captures at the policy's device threshold; the daemon then scores the final image with
its own NFIQ 2-aligned quality, extracts its minutiae template when the policy compares prints (the
duplicate-finger check, a delivery's verification), and the session decides (accept, retry, fall back to the next finger).
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2

from hal.fingerprint.base import (
    FingerOff,
    FingerOn,
    FingerprintImage,
    FingerprintScanner,
    ImageKind,
)
from hal.supervisor import DeviceSupervisor
from kitd.capture.events import (
    FingerCaptured,
    FingerDetected,
    FingerEvent,
    FingerLift,
    FingerPreview,
    FingerWaiting,
)
from kitd.errors import CapabilityMissing
from kitd.locale.message import Message
from kitd.matching.extraction import extract_template
from kitd.policy.model import finger_label
from kitd.quality.finger import FingerQuality
from kitd.session.model import CaptureKind, FingerPayload
from kitd.session.session import Session


class FingerCapture:
    """The finger step's capture flow: placement, preview, the final image and its quality."""

    def __init__(self, scanner: DeviceSupervisor | None, quality: FingerQuality) -> None:
        self._scanner = scanner
        self._quality = quality

    def run(
        self, session: Session, finger: int = 0, timeout_s: float = 0.0
    ) -> Iterator[FingerEvent]:
        if self._scanner is None:
            raise CapabilityMissing(Message("error.no_fingerprint_reader"))
        policy = session.policy.fingers
        step = session.step_for(CaptureKind.FINGER, finger)
        session.begin(step)
        recorded = False
        try:
            position = step.finger
            name = finger_label(position)
            yield FingerWaiting(
                position, step.attempts_used + 1, Message.of("finger.place", finger=name)
            )
            with self._scanner.acquire(timeout=1.0) as device:
                assert isinstance(device, FingerprintScanner)
                default_timeout = (
                    session.policy.delivery.capture_timeout_s
                    if step.references
                    else policy.capture_timeout_s
                )
                events = device.scan(
                    timeout_s or default_timeout, policy.auto_capture_threshold, preview=True
                )
                for event in events:
                    if isinstance(event, FingerOn):
                        yield FingerDetected(position)
                    elif isinstance(event, FingerOff):
                        continue
                    elif isinstance(event, FingerprintImage) and event.kind is ImageKind.PREVIEW:
                        yield FingerPreview(
                            event.pixels,
                            event.ppi,
                            finger_present=True,
                            live_quality=self._quality.live_estimate(event.pixels, event.ppi),
                            feedback=(),
                        )
                    elif isinstance(event, FingerprintImage):
                        assessment = self._quality.assess(
                            event.pixels, event.ppi, min_score=step.min_quality
                        )
                        template = (
                            extract_template(
                                event.pixels, event.ppi, finger_quality=assessment.score
                            )
                            if policy.duplicate_check.enabled or step.references
                            else None
                        )
                        attempt = session.record_attempt(
                            step,
                            FingerPayload(event.pixels, event.ppi, template),
                            assessment.score,
                            assessment.checks,
                            tuple(str(code) for code in assessment.feedback),
                        )
                        recorded = True
                        ok, png = cv2.imencode(".png", event.pixels)
                        yield FingerCaptured(
                            attempt,
                            png.tobytes() if ok else b"",
                            event.width,
                            event.height,
                            event.ppi,
                            session,
                        )
                        yield FingerLift(Message.of("finger.lift", finger=name))
                        return
        finally:
            if not recorded:
                session.abandon(step)

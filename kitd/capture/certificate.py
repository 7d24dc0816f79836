"""The document-mode photo of a home visit's doctor's certificate, from the kit's camera.

The flow watches the camera until a frame passes the document checks (sharpness, glare) or the policy's
timeout ends, and keeps the best frame seen, JPEG-encoded at the policy's size, in the session's memory
only: it goes into the sealed package and nowhere else (health data, never on the kit's disk).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from hal.camera.base import Camera
from hal.errors import DeviceFault
from hal.supervisor import DeviceSupervisor
from kitd.errors import CapabilityMissing
from kitd.locale.message import Message
from kitd.quality.check import CheckResult
from kitd.quality.document import DocumentLimits, assess_document
from kitd.session.eligibility import CertificatePhoto
from kitd.session.session import Session


@dataclass(frozen=True)
class CertificateResult:
    """The certificate photo a capture took, and whether it passed the document checks."""

    jpeg: bytes = field(repr=False)
    width: int
    height: int
    checks: tuple[CheckResult, ...]

    @property
    def accepted(self) -> bool:
        return all(c.passed for c in self.checks)


def _rank(checks: tuple[CheckResult, ...]) -> tuple[bool, float]:
    return all(c.passed for c in checks), float(sum(c.quality for c in checks))


def _encode(image: NDArray[np.uint8], max_size: int, quality: int) -> tuple[bytes, int, int]:
    height, width = image.shape[:2]
    scale = min(1.0, max_size / max(width, height))
    if scale < 1.0:
        size = (round(width * scale), round(height * scale))
        image = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise DeviceFault("a camera frame could not be encoded as JPEG", device="camera")
    return jpeg.tobytes(), int(image.shape[1]), int(image.shape[0])


class CertificateCapture:
    """Takes the document-mode photo of the certificate with the camera the face step uses."""

    def __init__(self, camera: DeviceSupervisor | None) -> None:
        self._camera = camera

    def capture(self, session: Session, timeout_s: float = 0.0) -> CertificateResult:
        session.check_certificate_photo_allowed()
        rule = session.policy.eligibility.certificate_photo
        limits = DocumentLimits(rule.min_sharpness, rule.max_glare)
        if self._camera is None:
            raise CapabilityMissing(Message("error.no_camera"))
        deadline = time.monotonic() + (timeout_s or rule.capture_timeout_s)
        best: tuple[NDArray[np.uint8], tuple[CheckResult, ...]] | None = None
        with self._camera.acquire(shared=True) as device:
            assert isinstance(device, Camera)
            for frame in device.frames():
                checks = assess_document(frame.image, limits)
                if best is None or _rank(checks) > _rank(best[1]):
                    best = (frame.image, checks)
                if all(c.passed for c in checks) or time.monotonic() >= deadline:
                    break
        assert best is not None  # frames() yields at least once or raises
        image, checks = best
        jpeg, width, height = _encode(image, rule.max_size, rule.jpeg_quality)
        session.keep_certificate_photo(
            CertificatePhoto(jpeg, width, height, checks, session.clock())
        )
        return CertificateResult(jpeg, width, height, checks)

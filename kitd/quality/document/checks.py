"""The document-mode checks: is a photo of a page sharp enough to read, and free of a reflection.

Ids: `document_sharpness` (variance of the Laplacian of the grey page scaled to at most 1000 px wide; a
defocused or shaken photo has little of it) and `document_glare` (the share of pixels burnt out, 250 or
above in every channel, as a lamp or a window reflected on glossy paper leaves). Pure: an image in,
check results out; the limits are data (the policy's `[eligibility.certificate_photo]`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.locale.message import Message
from kitd.quality.check import CheckResult

# The page is judged at this width at most, so the limit does not depend on the camera's resolution.
JUDGED_WIDTH = 1000
BURNT_OUT = 250


@dataclass(frozen=True)
class DocumentLimits:
    """The limits of the document-mode checks."""

    min_sharpness: float = 60.0
    max_glare: float = 0.02


def judged_grey(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The photo in grey at the width it is judged at (at most JUDGED_WIDTH)."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    width = grey.shape[1]
    if width <= JUDGED_WIDTH:
        return np.asarray(grey, dtype=np.uint8)
    size = (JUDGED_WIDTH, max(1, round(grey.shape[0] * JUDGED_WIDTH / width)))
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def sharpness(image: NDArray[np.uint8]) -> float:
    """The variance of the Laplacian of the page in grey at the judged width."""
    # 16-bit is exact for the Laplacian of 8-bit pixels, and OpenCV's own mean/deviation is
    # several times faster than numpy's on a frame.
    _, deviation = cv2.meanStdDev(cv2.Laplacian(judged_grey(image), cv2.CV_16S))
    return float(deviation[0, 0]) ** 2


def glare(image: NDArray[np.uint8]) -> float:
    """The share of pixels burnt out in every channel (0..1), at full resolution."""
    lowest = (
        image if image.ndim == 2 else cv2.min(cv2.min(image[..., 0], image[..., 1]), image[..., 2])
    )
    _, burnt = cv2.threshold(lowest, BURNT_OUT - 1, 255, cv2.THRESH_BINARY)
    return cv2.countNonZero(burnt) / float(burnt.size)


def assess_document(image: NDArray[np.uint8], limits: DocumentLimits) -> tuple[CheckResult, ...]:
    """Both checks of a photo of a page, each with the operator's advice when it fails."""
    sharp = sharpness(image)
    sharp_ok = sharp >= limits.min_sharpness
    burnt = glare(image)
    glare_ok = burnt <= limits.max_glare
    return (
        CheckResult(
            "document_sharpness",
            sharp,
            limits.min_sharpness,
            sharp_ok,
            100 if sharp_ok else int(100 * sharp / limits.min_sharpness),
            None if sharp_ok else Message("document.sharpness.too_low"),
        ),
        CheckResult(
            "document_glare",
            burnt,
            limits.max_glare,
            glare_ok,
            100 if glare_ok else max(0, int(100 * (1.0 - burnt))),
            None if glare_ok else Message("document.glare.too_high"),
        ),
    )

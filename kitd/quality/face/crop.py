"""The Belgian eID photo: the assessed portrait cropped, levelled and scaled to 35 x 45 mm, as JPEG.

Default 827 x 1063 px, 35 x 45 mm at 600 dpi. The head is scaled so chin to crown is HEAD_FRACTION of
the height (Belgium asks 31-36 mm of 45 mm, ICAO 70-80 %), the eyes are centred left to right, the crown
sits TOP_MARGIN below the top edge, and the eye line is kept inside ICAO's 30-50 % from the top. The
geometric checks are then measured again on the photo. The JPEG stays in memory: this module must never
write a file, and never invent a face where the source has none (missing source pixels are reported).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from kitd.quality.check import CheckResult, all_passed
from kitd.quality.face.assessment import FaceAssessment
from kitd.quality.face.checks import geometry
from kitd.quality.face.judgement import judge
from kitd.quality.face.thresholds import FaceThresholds
from kitd.quality.face.vocabulary import FaceCheck

PHOTO_WIDTH = 827
PHOTO_HEIGHT = 1063
PHOTO_DPI = 600
# 33.5 mm of 45 mm: the middle of Belgium's 31-36 mm.
HEAD_FRACTION = 33.5 / 45.0
TOP_MARGIN = 0.09
EYE_LINE_RANGE = (0.33, 0.47)
# The checks that describe the photo's framing; the others do not change with a crop.
PHOTO_CHECKS = (
    FaceCheck.HEAD_FULLY_VISIBLE,
    FaceCheck.INTER_EYE_DISTANCE,
    FaceCheck.ROLL,
    FaceCheck.EYES_CENTERED,
    FaceCheck.EYE_LINE_HEIGHT,
    FaceCheck.HEAD_SIZE,
)


class NoFaceToCrop(ValueError):
    """The assessment has no landmarks, so there is no head to place."""


@dataclass(frozen=True)
class PassportPhoto:
    """The photo cropped and scaled to the print format, with its framing checks."""

    jpeg: bytes
    width: int
    height: int
    # The framing checks measured on the photo.
    checks: tuple[CheckResult, ...]
    # Mesh points mapped into the photo's pixels.
    landmarks: NDArray[np.float32]
    # Fraction of the photo's pixels that came from the source image (the rest repeat its edge).
    source_coverage: float

    @property
    def compliant(self) -> bool:
        return all_passed(self.checks) and self.source_coverage >= 0.999

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Lets callers write `jpeg, checks = crop_passport_photo(...)`."""
        return iter((self.jpeg, self.checks))


def placement(points: NDArray[np.float32], width: int, height: int) -> NDArray[np.float64]:
    """The 2x3 similarity from source pixels to photo pixels: levelled, scaled and placed."""
    frame = geometry.head_frame(points)
    roll = geometry.roll_degrees(frame)
    eyes = frame.eye_midpoint
    scale = HEAD_FRACTION * height / max(float(np.linalg.norm(frame.chin - frame.crown)), 1.0)
    matrix = np.asarray(
        cv2.getRotationMatrix2D((float(eyes[0]), float(eyes[1])), roll, scale), dtype=np.float64
    )
    crown_y = float(matrix[0:2, 0:2][1] @ frame.crown + matrix[1, 2])
    eyes_y = float(matrix[0:2, 0:2][1] @ eyes + matrix[1, 2])
    target_eyes_y = TOP_MARGIN * height + (eyes_y - crown_y)
    target_eyes_y = min(max(target_eyes_y, EYE_LINE_RANGE[0] * height), EYE_LINE_RANGE[1] * height)
    matrix[0, 2] += width / 2.0 - (matrix[0, 0:2] @ eyes + matrix[0, 2])
    matrix[1, 2] += target_eyes_y - eyes_y
    return matrix


def encode_jpeg(bgr: NDArray[np.uint8], quality: int, dpi: int) -> bytes:
    """A BGR image as a JPEG at `quality`, with `dpi` written into the file."""
    rgb = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="JPEG", quality=quality, dpi=(dpi, dpi), subsampling=0)
    return out.getvalue()


def crop_passport_photo(
    bgr: NDArray[np.uint8],
    assessment: FaceAssessment,
    *,
    width: int = PHOTO_WIDTH,
    height: int = PHOTO_HEIGHT,
    quality: int = 90,
    dpi: int = PHOTO_DPI,
    thresholds: FaceThresholds | None = None,
) -> PassportPhoto:
    """The passport photo from the image `assessment` was made on; NoFaceToCrop without landmarks."""
    if assessment.landmarks is None:
        raise NoFaceToCrop("no face landmarks in the assessment: nothing to crop")
    limits = thresholds or FaceThresholds()
    points = np.column_stack([assessment.landmarks, np.zeros(len(assessment.landmarks))]).astype(
        np.float32
    )
    matrix = placement(points, width, height)
    photo = np.asarray(
        cv2.warpAffine(
            bgr,
            matrix,
            (width, height),
            flags=cv2.INTER_AREA if matrix[0, 0] < 1 else cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REPLICATE,
        ),
        dtype=np.uint8,
    )
    inside = np.asarray(
        cv2.warpAffine(
            np.full(bgr.shape[:2], 255, dtype=np.uint8),
            matrix,
            (width, height),
            flags=cv2.INTER_NEAREST,
        ),
        dtype=np.uint8,
    )
    mapped = (points[:, :2] @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
    frame = geometry.head_frame(np.column_stack([mapped, np.zeros(len(mapped))]).astype(np.float32))
    values = {
        FaceCheck.HEAD_FULLY_VISIBLE: geometry.head_fully_visible(frame, width, height),
        FaceCheck.INTER_EYE_DISTANCE: frame.inter_eye_distance,
        FaceCheck.ROLL: geometry.roll_degrees(frame),
        FaceCheck.EYES_CENTERED: geometry.eyes_centered(frame, width),
        FaceCheck.EYE_LINE_HEIGHT: geometry.eye_line_height(frame, height),
        FaceCheck.HEAD_SIZE: geometry.head_size(frame, height),
    }
    checks = tuple(judge(check, values[check], limits.limits(check)) for check in PHOTO_CHECKS)
    return PassportPhoto(
        jpeg=encode_jpeg(photo, quality, dpi),
        width=width,
        height=height,
        checks=checks,
        landmarks=mapped,
        source_coverage=float(np.count_nonzero(inside)) / float(width * height),
    )

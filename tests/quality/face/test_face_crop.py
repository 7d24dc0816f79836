"""The Belgian 35 x 45 mm photo: size, resolution, and the head placed inside the ICAO / Belgian ranges."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from kitd.quality.face import FaceAssessor, FaceCheck, crop_passport_photo
from kitd.quality.face.checks import geometry
from kitd.quality.face.crop import NoFaceToCrop


def decode(jpeg: bytes) -> NDArray[np.uint8]:
    return np.asarray(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), dtype=np.uint8)


def test_the_photo_is_a_600_dpi_jpeg_of_827_by_1063(
    astronaut: NDArray[np.uint8], astronaut_assessment
) -> None:  # type: ignore[no-untyped-def]
    photo = crop_passport_photo(astronaut, astronaut_assessment)
    with Image.open(io.BytesIO(photo.jpeg)) as image:
        assert image.format == "JPEG"
        assert image.size == (827, 1063)
        assert image.info["dpi"] == pytest.approx((600, 600))


def test_eye_line_and_chin_to_crown_land_inside_the_ranges(
    astronaut: NDArray[np.uint8], astronaut_assessment
) -> None:  # type: ignore[no-untyped-def]
    photo = crop_passport_photo(astronaut, astronaut_assessment)
    frame = geometry.head_frame(
        np.column_stack([photo.landmarks, np.zeros(468)]).astype(np.float32)
    )
    chin_to_crown_mm = np.linalg.norm(frame.chin - frame.crown) / photo.height * 45.0
    assert 31.0 <= chin_to_crown_mm <= 36.0
    assert 0.30 <= frame.eye_midpoint[1] / photo.height <= 0.50
    assert 0.45 <= frame.eye_midpoint[0] / photo.width <= 0.55
    assert all(c.passed for c in photo.checks)


def test_the_mesh_finds_the_head_where_the_crop_put_it(
    assessor: FaceAssessor, astronaut: NDArray[np.uint8], astronaut_assessment
) -> None:  # type: ignore[no-untyped-def]
    photo = crop_passport_photo(astronaut, astronaut_assessment)
    again = assessor.assess(decode(photo.jpeg))
    for check in (
        FaceCheck.EYE_LINE_HEIGHT,
        FaceCheck.HEAD_SIZE,
        FaceCheck.EYES_CENTERED,
        FaceCheck.ROLL,
    ):
        assert again.check(check).passed, again.check(check)


def test_a_tilted_head_is_levelled(
    astronaut: NDArray[np.uint8], astronaut_assessment, assessor: FaceAssessor
) -> None:  # type: ignore[no-untyped-def]
    from kitd.quality.face.degradations import rotated

    tilted = rotated(10.0)(astronaut, astronaut_assessment)
    photo = crop_passport_photo(tilted, assessor.assess(tilted))
    roll = next(c for c in photo.checks if c.id == "roll")
    assert abs(roll.value) < 0.5


def test_pixels_from_outside_the_source_are_reported(
    astronaut: NDArray[np.uint8], assessor: FaceAssessor
) -> None:
    tight = astronaut[40:260, 120:330]
    photo = crop_passport_photo(tight, assessor.assess(tight))
    assert photo.source_coverage < 0.999
    assert not photo.compliant


def test_no_face_no_crop(assessor: FaceAssessor) -> None:
    blank = np.full((300, 300, 3), 220, np.uint8)
    with pytest.raises(NoFaceToCrop):
        crop_passport_photo(blank, assessor.assess(blank))

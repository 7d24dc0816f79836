"""The camera simulator's scenes, measured on the frames it serves through the real opencv driver."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from sims.camera.camera_process import Shooter, SimulatedCamera, SimulatorError

from kitsim.camera.scene import Scene, eye_positions


def grey(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)


def test_default_scene_is_served_at_the_configured_size(shooter: Shooter) -> None:
    assert shooter.shoot().shape == (720, 1280, 3)


def test_width_and_height_change_the_served_size(shooter: Shooter) -> None:
    assert shooter.shoot(width=1920, height=1080).shape == (1080, 1920, 3)


def test_default_scene_has_a_plain_light_background_around_the_person(shooter: Shooter) -> None:
    image = grey(shooter.shoot())
    corners = [image[:80, :120], image[:80, -120:]]
    for corner in corners:
        assert corner.mean() > 170
        assert corner.std() < 3


def test_exposure_lowers_mean_brightness(shooter: Shooter) -> None:
    normal = grey(shooter.shoot()).mean()
    darker = grey(shooter.shoot(exposure=-1.5)).mean()
    assert darker < 0.5 * normal


def test_roll_rotates_the_person_about_the_eyes(shooter: Shooter) -> None:
    level = shooter.shoot()
    rolled = shooter.shoot(roll=10)
    (rx, ry), (lx, ly) = eye_positions(Scene())  # type: ignore[misc]
    centre = ((rx + lx) / 2, (ry + ly) / 2)
    # Clockwise by 10 degrees (OpenCV's positive angle is counter-clockwise).
    expected = cv2.warpAffine(
        level, cv2.getRotationMatrix2D(centre, -10, 1.0), (1280, 720), borderValue=(200, 201, 203)
    )
    head = (slice(150, 600), slice(450, 830))
    diff_rotated = np.abs(grey(rolled)[head] - grey(expected)[head]).mean()
    diff_level = np.abs(grey(rolled)[head] - grey(level)[head]).mean()
    assert diff_rotated < 0.35 * diff_level


def test_yaw_moves_the_nose_towards_the_turn(shooter: Shooter) -> None:
    def face_centre_of_mass(image: NDArray[np.uint8]) -> float:
        face = grey(image)[250:500, 500:780]
        darkness = 255.0 - face
        return float((darkness * np.arange(face.shape[1])).sum() / darkness.sum())

    frontal = face_centre_of_mass(shooter.shoot())
    assert face_centre_of_mass(shooter.shoot(yaw=20)) > frontal
    assert face_centre_of_mass(shooter.shoot(yaw=-20)) < frontal


def test_scale_makes_the_person_smaller(shooter: Shooter) -> None:
    def person_pixels(image: NDArray[np.uint8]) -> int:
        return int((np.abs(grey(image) - 201.0) > 25).sum())

    assert person_pixels(shooter.shoot(scale=0.5)) < 0.75 * person_pixels(shooter.shoot())


def test_offset_moves_the_person_right(shooter: Shooter) -> None:
    def column_of_mass(image: NDArray[np.uint8]) -> float:
        mask = (np.abs(grey(image) - 201.0) > 25).astype(np.float32)
        return float((mask.sum(axis=0) * np.arange(mask.shape[1])).sum() / mask.sum())

    assert column_of_mass(shooter.shoot(dx=0.2)) > column_of_mass(shooter.shoot()) + 150


def test_warm_colour_cast_raises_red_over_blue(shooter: Shooter) -> None:
    def red_over_blue(image: NDArray[np.uint8]) -> float:
        return float(image[:, :, 2].mean() / image[:, :, 0].mean())

    assert red_over_blue(shooter.shoot(colour_cast=0.6)) > 1.3 * red_over_blue(shooter.shoot())


def test_blur_removes_fine_detail(shooter: Shooter) -> None:
    def detail(image: NDArray[np.uint8]) -> float:
        return float(cv2.Laplacian(grey(image), cv2.CV_32F).var())

    assert detail(shooter.shoot(blur=4.0)) < 0.5 * detail(shooter.shoot())


def test_uneven_light_darkens_the_left_side(shooter: Shooter) -> None:
    image = grey(shooter.shoot(uneven_light=0.6))
    assert image[:, :200].mean() < 0.6 * image[:, -200:].mean()


def test_busy_background_clutters_the_corners(shooter: Shooter) -> None:
    image = grey(shooter.shoot(busy_background=1.0))
    assert image[:150, :250].std() > 20


def test_second_face_adds_a_person_beside_the_first(shooter: Shooter) -> None:
    region = (slice(100, 450), slice(50, 380))
    plain = grey(shooter.shoot())[region]
    crowded = grey(shooter.shoot(second_face=True))[region]
    assert crowded.std() > plain.std() + 15


def test_eye_bar_covers_both_eyes(shooter: Shooter) -> None:
    image = grey(shooter.shoot(eye_bar=True))
    for x, y in eye_positions(Scene()) or ():
        assert image[int(y) - 5 : int(y) + 5, int(x) - 5 : int(x) + 5].mean() < 40


def test_no_face_serves_only_the_backdrop(shooter: Shooter) -> None:
    image = grey(shooter.shoot(no_face=True))
    assert image.std() < 3


def test_scene_from_an_image_file_fills_the_frame(shooter: Shooter, tmp_path: Path) -> None:
    picture = np.zeros((300, 400, 3), np.uint8)
    picture[:, 200:] = (0, 0, 255)
    path = tmp_path / "half-red.png"
    cv2.imwrite(str(path), picture)
    image = shooter.shoot(image=str(path))
    assert image[:, :600, 2].mean() < 30
    assert image[:, 700:, 2].mean() > 220


def test_unknown_knob_is_refused_with_its_name(sim: SimulatedCamera) -> None:
    with pytest.raises(SimulatorError, match="sparkle"):
        sim.control("scene", sparkle=1)


def test_unknown_fault_is_refused(sim: SimulatedCamera) -> None:
    with pytest.raises(SimulatorError, match="unknown fault"):
        sim.control("fault", kind="melt")


def test_info_endpoint_reports_the_identity(sim: SimulatedCamera) -> None:
    import json
    import urllib.request

    base = sim.source.removeprefix("opencv:").rsplit("/", 1)[0]
    with urllib.request.urlopen(f"{base}/info", timeout=5) as response:
        info = json.loads(response.read())
    assert {k: info[k] for k in ("vendor", "model", "serial", "firmware")} == sim.identity
    assert (info["width"], info["height"]) == (1280, 720)


def test_default_scene_is_a_single_well_framed_face_for_the_face_assessor(shooter: Shooter) -> None:
    face = pytest.importorskip("kitd.quality.face")
    assessment = face.FaceAssessor().assess(shooter.shoot())
    assert assessment.face_count == 1
    for check in (
        "single_face",
        "inter_eye_distance",
        "roll",
        "yaw",
        "eyes_centered",
        "eye_line_height",
        "head_size",
        "background_uniformity",
        "luminance",
    ):
        assert assessment.check(check).passed, assessment.check(check)
    assert assessment.check("inter_eye_distance").value >= 120


def test_default_portrait_is_fully_compliant(shooter: Shooter) -> None:
    face = pytest.importorskip("kitd.quality.face")
    assessment = face.FaceAssessor().assess(shooter.shoot())
    assert assessment.failed == ()


@pytest.mark.parametrize(
    ("builtin", "mouth_closed", "expression_neutral"),
    [
        ("neutral", True, True),
        # The default scene of earlier releases: lips closed, but a clear smile.
        ("closed_smile", True, False),
        ("open_mouth", False, True),
        ("smiling", False, False),
    ],
)
def test_mouth_scenes_pass_or_fail_mouth_closed_and_expression_neutral_as_icao_says(
    shooter: Shooter, builtin: str, *, mouth_closed: bool, expression_neutral: bool
) -> None:
    face = pytest.importorskip("kitd.quality.face")
    assessment = face.FaceAssessor().assess(shooter.shoot(builtin=builtin))
    assert assessment.check("mouth_closed").passed is mouth_closed
    assert assessment.check("expression_neutral").passed is expression_neutral
    # Only the mouth differs between the scenes: nothing else fails.
    others = set(assessment.failed) - {"mouth_closed", "expression_neutral"}
    assert others == set()


def test_default_scene_is_the_neutral_face(shooter: Shooter) -> None:
    default = grey(shooter.shoot())
    neutral = grey(shooter.shoot(builtin="neutral"))
    closed_smile = grey(shooter.shoot(builtin="closed_smile"))
    # Sensor noise differs between frames; the smile's mouth does not.
    assert np.abs(default - neutral).mean() < 0.5 * np.abs(default - closed_smile).mean()

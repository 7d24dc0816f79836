"""Each face check with a constructed passing and failing case: measure, then judge with the defaults."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from kitd.quality.face import FaceAssessor, FaceThresholds, mesh
from kitd.quality.face.checks import appearance, background, geometry, image, jpeg, photometry, pose
from kitd.quality.face.judgement import judge
from kitd.quality.face.vocabulary import FaceCheck

DEFAULTS = FaceThresholds()


def passes(check: FaceCheck, value: float) -> bool:
    return judge(check, value, DEFAULTS.limits(check)).passed


def rotated_points(points: NDArray[np.float32], degrees: float) -> NDArray[np.float32]:
    centre = points[:, :2].mean(axis=0)
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    out = points.copy()
    out[:, :2] = (points[:, :2] - centre) @ np.array([[c, s], [-s, c]]) + centre
    return out


def test_single_face_passes_for_one_face_and_fails_for_none_or_two() -> None:
    assert passes(FaceCheck.SINGLE_FACE, 1)
    assert not passes(FaceCheck.SINGLE_FACE, 0)
    assert not passes(FaceCheck.SINGLE_FACE, 2)


def test_inter_eye_distance_fails_when_the_face_is_shrunk(mesh_points: NDArray[np.float32]) -> None:
    big = mesh_points * 3.0
    small = mesh_points * 0.5
    assert passes(FaceCheck.INTER_EYE_DISTANCE, geometry.head_frame(big).inter_eye_distance)
    assert not passes(FaceCheck.INTER_EYE_DISTANCE, geometry.head_frame(small).inter_eye_distance)


@pytest.mark.parametrize("degrees", [12.0, -12.0])
def test_roll_fails_when_the_head_is_tilted(
    mesh_points: NDArray[np.float32], degrees: float
) -> None:
    level = geometry.roll_degrees(geometry.head_frame(mesh_points))
    tilted = rotated_points(mesh_points, degrees - level)
    assert passes(
        FaceCheck.ROLL,
        geometry.roll_degrees(geometry.head_frame(rotated_points(mesh_points, -level))),
    )
    assert not passes(FaceCheck.ROLL, geometry.roll_degrees(geometry.head_frame(tilted)))


def turned(points: NDArray[np.float32], axis: int, degrees: float) -> NDArray[np.float32]:
    """The points turned in depth about the vertical (axis 0, yaw) or horizontal (axis 1, pitch) axis."""
    centre = points.mean(axis=0)
    p = points - centre
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    out = p.copy()
    out[:, axis] = c * p[:, axis] - s * p[:, 2]
    out[:, 2] = s * p[:, axis] + c * p[:, 2]
    return (out + centre).astype(np.float32)


def yaw_pitch(points: NDArray[np.float32]) -> tuple[float, float]:
    # The astronaut photo is 512 x 512.
    head = pose.head_pose(points, 512, 512)
    return head.yaw, head.pitch


@pytest.mark.parametrize("degrees", [15.0, -15.0])
def test_yaw_follows_the_head_turned_in_depth_and_fails_beyond_five_degrees(
    mesh_points: NDArray[np.float32], degrees: float
) -> None:
    yaw, _ = yaw_pitch(mesh_points)
    frontal = turned(mesh_points, 0, -yaw)
    assert passes(FaceCheck.YAW, yaw_pitch(frontal)[0])
    turned_yaw = yaw_pitch(turned(frontal, 0, degrees))[0]
    assert turned_yaw == pytest.approx(degrees, abs=2.5)
    assert not passes(FaceCheck.YAW, turned_yaw)


@pytest.mark.parametrize("degrees", [15.0, -15.0])
def test_pitch_follows_the_head_nodding_and_fails_beyond_five_degrees(
    mesh_points: NDArray[np.float32], degrees: float
) -> None:
    # `turned` about the horizontal axis by +d lowers the chin by d.
    _, pitch = yaw_pitch(mesh_points)
    level = turned(mesh_points, 1, pitch)
    assert passes(FaceCheck.PITCH, yaw_pitch(level)[1])
    nodded = yaw_pitch(turned(level, 1, -degrees))[1]
    assert nodded == pytest.approx(degrees, abs=2.5)
    assert not passes(FaceCheck.PITCH, nodded)


def test_pose_of_a_mirrored_face_is_mirrored(
    assessor: FaceAssessor, astronaut: NDArray[np.uint8]
) -> None:
    """The fit has no left/right bias: the mirror image reads the opposite yaw and roll."""
    original = assessor.locate(astronaut).points
    mirrored = assessor.locate(np.ascontiguousarray(astronaut[:, ::-1])).points
    assert original is not None and mirrored is not None
    a, b = pose.head_pose(original, 512, 512), pose.head_pose(mirrored, 512, 512)
    # The mesh itself fits a mirrored face a little differently (up to about 3 degrees on the reference
    # portraits, none on average): the fit adds no bias of its own.
    assert a.yaw + b.yaw == pytest.approx(0.0, abs=3.0)
    assert a.roll + b.roll == pytest.approx(0.0, abs=1.5)
    assert a.pitch == pytest.approx(b.pitch, abs=3.0)


def test_the_canonical_face_projects_back_to_zero_pose() -> None:
    """A frontal, level model seen straight on reads 0, 0, 0 (the decomposition and the camera agree)."""
    camera = pose.camera_matrix(1000, 1000, 200.0)
    at = np.array([0.0, 0.0, pose.CAMERA_DISTANCE_MM])
    projected, _ = cv2.projectPoints(pose.MODEL_POINTS, np.zeros(3), at, camera, None)
    points = np.zeros((468, 3), np.float32)
    points[list(pose.MODEL_INDICES), :2] = projected.reshape(-1, 2)
    head = pose.fitted_pose(points, 1000, 1000)
    assert (head.yaw, head.pitch, head.roll) == pytest.approx((0.0, 0.0, 0.0), abs=0.05)


def test_eyes_centered_fails_when_the_face_is_off_centre(mesh_points: NDArray[np.float32]) -> None:
    frame = geometry.head_frame(mesh_points)
    width_centred = round(float(2 * frame.eye_midpoint[0]))
    assert passes(FaceCheck.EYES_CENTERED, geometry.eyes_centered(frame, width_centred))
    assert not passes(FaceCheck.EYES_CENTERED, geometry.eyes_centered(frame, width_centred * 2))


def test_eye_line_height_fails_when_the_eyes_are_too_high(mesh_points: NDArray[np.float32]) -> None:
    frame = geometry.head_frame(mesh_points)
    assert passes(
        FaceCheck.EYE_LINE_HEIGHT,
        geometry.eye_line_height(frame, int(frame.eye_midpoint[1] / 0.42)),
    )
    assert not passes(
        FaceCheck.EYE_LINE_HEIGHT, geometry.eye_line_height(frame, int(frame.eye_midpoint[1] / 0.2))
    )


def test_head_size_fails_when_the_head_is_small_in_the_frame(
    mesh_points: NDArray[np.float32],
) -> None:
    frame = geometry.head_frame(mesh_points)
    head = float(np.linalg.norm(frame.chin - frame.crown))
    assert passes(FaceCheck.HEAD_SIZE, geometry.head_size(frame, int(head / 0.75)))
    assert not passes(FaceCheck.HEAD_SIZE, geometry.head_size(frame, int(head / 0.4)))


def test_head_fully_visible_fails_when_the_top_is_cut(mesh_points: NDArray[np.float32]) -> None:
    frame = geometry.head_frame(mesh_points)
    shifted = mesh_points.copy()
    shifted[:, 1] -= float(frame.crown[1]) - 5.0
    cut = geometry.head_frame(
        mesh_points - np.array([0, frame.crown[1] + 20.0, 0], dtype=np.float32)
    )
    assert passes(
        FaceCheck.HEAD_FULLY_VISIBLE,
        geometry.head_fully_visible(geometry.head_frame(shifted), 5000, 5000),
    )
    assert not passes(FaceCheck.HEAD_FULLY_VISIBLE, geometry.head_fully_visible(cut, 5000, 5000))


def test_eyes_open_fails_when_the_lids_meet(mesh_points: NDArray[np.float32]) -> None:
    closed = mesh_points.copy()
    for upper, lower in mesh.RIGHT_EYE_LIDS + mesh.LEFT_EYE_LIDS:
        closed[upper] = closed[lower]
    assert passes(FaceCheck.EYES_OPEN, appearance.eyes_open(mesh_points))
    assert not passes(FaceCheck.EYES_OPEN, appearance.eyes_open(closed))


def test_mouth_closed_fails_when_the_lips_part(mesh_points: NDArray[np.float32]) -> None:
    closed = mesh_points.copy()
    closed[mesh.INNER_LIPS[1]] = closed[mesh.INNER_LIPS[0]]
    wide = closed.copy()
    width = np.linalg.norm(closed[mesh.MOUTH_CORNERS[0], :2] - closed[mesh.MOUTH_CORNERS[1], :2])
    wide[mesh.INNER_LIPS[1], 1] += 0.3 * width
    assert passes(FaceCheck.MOUTH_CLOSED, appearance.mouth_opening(closed))
    assert not passes(FaceCheck.MOUTH_CLOSED, appearance.mouth_opening(wide))


def mouth_set(points: NDArray[np.float64], half_width: float, lift: float) -> NDArray[np.float64]:
    """The level mesh with its mouth corners `half_width` either side of the lips' middle and `lift`
    above it (both in eye distances), at the lips' depth."""
    eye_distance = float(
        np.linalg.norm(
            points[list(mesh.LEFT_EYE_CORNERS), :2].mean(axis=0)
            - points[list(mesh.RIGHT_EYE_CORNERS), :2].mean(axis=0)
        )
    )
    out = points.copy()
    middle = points[list(mesh.INNER_LIPS)].mean(axis=0)
    right, left = mesh.MOUTH_CORNERS
    out[right] = middle + np.array([-half_width, -lift, 0.0]) * eye_distance
    out[left] = middle + np.array([half_width, -lift, 0.0]) * eye_distance
    return out


def test_expression_neutral_passes_a_relaxed_mouth_and_fails_a_closed_smile(
    mesh_points: NDArray[np.float32],
) -> None:
    level = geometry.unrolled(mesh_points, geometry.roll_degrees(geometry.head_frame(mesh_points)))
    # A relaxed mouth is about 0.8 of the eye distance wide, corners level with the lips' middle.
    relaxed = mouth_set(level, 0.4, 0.0)
    # A smile pulls the corners out and up, with or without parted lips.
    smile = mouth_set(level, 0.52, 0.07)
    wide_only = mouth_set(level, 0.56, 0.0)
    lifted_only = mouth_set(level, 0.4, 0.15)
    assert appearance.smile_index(relaxed, 0.0) == pytest.approx(0.8, abs=0.01)
    assert passes(FaceCheck.EXPRESSION_NEUTRAL, appearance.smile_index(relaxed, 0.0))
    for smiling in (smile, wide_only, lifted_only):
        assert not passes(FaceCheck.EXPRESSION_NEUTRAL, appearance.smile_index(smiling, 0.0))


def test_expression_neutral_undoes_the_nod_before_measuring_the_lift(
    mesh_points: NDArray[np.float32],
) -> None:
    level = geometry.unrolled(mesh_points, geometry.roll_degrees(geometry.head_frame(mesh_points)))
    relaxed = mouth_set(level, 0.4, 0.0)
    # The corners lie behind the lips' middle, as on a real face.
    relaxed[list(mesh.MOUTH_CORNERS), 2] += 0.25 * float(
        np.linalg.norm(relaxed[mesh.MOUTH_CORNERS[0]] - relaxed[mesh.MOUTH_CORNERS[1]])
    )
    for pitch in (-15.0, 15.0):
        t = np.radians(pitch)
        # The head nodded by `pitch` about the eye line's axis (chin up > 0): y and depth turn.
        nodded = relaxed.copy()
        nodded[:, 1] = relaxed[:, 1] * np.cos(t) + relaxed[:, 2] * np.sin(t)
        nodded[:, 2] = -relaxed[:, 1] * np.sin(t) + relaxed[:, 2] * np.cos(t)
        uncorrected = appearance.smile_index(nodded, 0.0)
        corrected = appearance.smile_index(nodded, pitch)
        assert corrected == pytest.approx(appearance.smile_index(relaxed, 0.0), abs=1e-6)
        assert abs(uncorrected - corrected) > 0.05


def test_luminance_is_lightness_and_fails_on_a_dark_or_a_bright_face() -> None:
    assert photometry.luminance(skin((255, 255, 255))) == pytest.approx(100.0, abs=0.5)
    assert passes(FaceCheck.LUMINANCE, photometry.luminance(skin((120, 150, 200))))
    assert not passes(FaceCheck.LUMINANCE, photometry.luminance(skin((8, 10, 14))))
    assert not passes(FaceCheck.LUMINANCE, photometry.luminance(skin((225, 235, 250))))


def test_under_exposure_fails_when_much_of_the_face_is_black() -> None:
    face = np.full(1000, 120, np.uint8)
    dark = face.copy()
    dark[:500] = 5
    assert passes(FaceCheck.UNDER_EXPOSURE, photometry.under_exposure(face))
    assert not passes(FaceCheck.UNDER_EXPOSURE, photometry.under_exposure(dark))


def test_over_exposure_fails_when_much_of_the_face_is_white() -> None:
    face = np.full((1000, 3), 120, np.uint8)
    burnt = face.copy()
    burnt[:300] = 255
    assert passes(FaceCheck.OVER_EXPOSURE, photometry.over_exposure(face))
    assert not passes(FaceCheck.OVER_EXPOSURE, photometry.over_exposure(burnt))


def test_over_exposure_sees_the_red_channel_burnt_out_before_the_grey_level_is_white() -> None:
    # Dark skin under too much light: red saturates on half the face, the grey level stays near 190.
    skin = np.tile(np.array([[70, 110, 150]], np.uint8), (1000, 1))
    burnt = skin.copy()
    burnt[:500] = (150, 200, 255)
    grey = np.asarray(cv2.cvtColor(burnt.reshape(-1, 1, 3), cv2.COLOR_BGR2GRAY)).ravel()
    assert (grey > photometry.BRIGHT_LEVEL).mean() == 0.0
    assert photometry.over_exposure(burnt) == pytest.approx(0.5)
    assert not passes(FaceCheck.OVER_EXPOSURE, photometry.over_exposure(burnt))
    assert passes(FaceCheck.OVER_EXPOSURE, photometry.over_exposure(skin))
    assert math.isnan(photometry.over_exposure(np.zeros((0, 3), np.uint8)))


def test_dynamic_range_fails_on_a_flat_face() -> None:
    rng = np.random.default_rng(1)
    lively = rng.integers(40, 220, 5000).astype(np.uint8)
    flat = rng.integers(110, 140, 5000).astype(np.uint8)
    assert passes(FaceCheck.DYNAMIC_RANGE, photometry.dynamic_range(lively))
    assert not passes(FaceCheck.DYNAMIC_RANGE, photometry.dynamic_range(flat))


def lit(points: NDArray[np.float32], across: float, down: float) -> NDArray[np.float32]:
    """A 512 x 512 L* image: 60 at the face's middle, changing by `across` (L* per inter-eye distance)
    from the person's right to left and by `down` from top to bottom."""
    frame = geometry.head_frame(points)
    middle = frame.eye_midpoint
    yy, xx = np.mgrid[0:512, 0:512].astype(np.float32)
    d = frame.inter_eye_distance
    return (60.0 + across * (xx - middle[0]) / d + down * (yy - middle[1]) / d).astype(np.float32)


def test_illumination_uniformity_fails_when_light_falls_off_across_the_face(
    mesh_points: NDArray[np.float32],
) -> None:
    skin_everywhere = np.full((512, 512), 255, np.uint8)
    points = np.asarray(mesh_points, np.float64)
    even = photometry.illumination_uniformity(lit(mesh_points, 0, 0), points, skin_everywhere)
    assert even == pytest.approx(1.0)
    # A gentle side light, L* 10 lower at the outer cheek, passes.
    gentle = lit(mesh_points, 10.0, 0.0)
    assert passes(
        FaceCheck.ILLUMINATION_UNIFORMITY,
        photometry.illumination_uniformity(gentle, points, skin_everywhere),
    )
    # Lit from the side: L* 60 in the middle, 30 lower at the outer cheek (the darker side's
    # cheeks, temples and jaw at about a third of the brighter side's lightness).
    side_lit = lit(mesh_points, 35.0, 0.0)
    assert not passes(
        FaceCheck.ILLUMINATION_UNIFORMITY,
        photometry.illumination_uniformity(side_lit, points, skin_everywhere),
    )


def test_illumination_uniformity_ignores_light_falling_from_top_to_bottom(
    mesh_points: NDArray[np.float32],
) -> None:
    skin_everywhere = np.full((512, 512), 255, np.uint8)
    top_lit = lit(mesh_points, 0.0, -15.0)
    value = photometry.illumination_uniformity(
        top_lit, np.asarray(mesh_points, np.float64), skin_everywhere
    )
    assert value == pytest.approx(1.0, abs=0.03)


def test_illumination_uniformity_needs_both_sides_of_the_face_on_the_skin(
    mesh_points: NDArray[np.float32],
) -> None:
    one_side = np.zeros((512, 512), np.uint8)
    one_side[:, : int(geometry.head_frame(mesh_points).eye_midpoint[0]) - 5] = 255
    value = photometry.illumination_uniformity(
        lit(mesh_points, 0, 0), np.asarray(mesh_points, np.float64), one_side
    )
    assert math.isnan(value)


def skin(bgr: tuple[int, int, int]) -> NDArray[np.uint8]:
    return np.tile(np.array(bgr, np.uint8), (200, 1))


GREY_WALL = np.tile(np.array((200, 201, 203), np.uint8), (500, 1))


def test_natural_colour_passes_light_and_dark_skin_before_a_neutral_wall() -> None:
    assert passes(
        FaceCheck.NATURAL_COLOUR, photometry.natural_colour(skin((120, 150, 200)), GREY_WALL)
    )
    assert passes(
        FaceCheck.NATURAL_COLOUR, photometry.natural_colour(skin((60, 80, 120)), GREY_WALL)
    )


def cast(pixels: NDArray[np.uint8], gains: tuple[float, float, float]) -> NDArray[np.uint8]:
    return np.clip(pixels * np.array(gains), 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    "gains",
    [(1.35, 1.1, 0.6), (0.6, 0.8, 1.35), (0.53, 1.1, 1.2)],
    ids=["blue-green", "red", "yellow"],
)
def test_natural_colour_fails_under_a_colour_cast(gains: tuple[float, float, float]) -> None:
    face = skin((120, 150, 200))
    assert not passes(
        FaceCheck.NATURAL_COLOUR,
        photometry.natural_colour(cast(face, gains), cast(GREY_WALL, gains)),
    )


def test_a_cast_reads_the_same_on_a_dark_backdrop_as_on_a_light_one() -> None:
    blue_green = (1.35, 1.1, 0.6)
    dark_wall = np.tile(np.array((70, 70, 71), np.uint8), (500, 1))
    dark, light = cast(dark_wall, blue_green), cast(GREY_WALL, blue_green)
    assert photometry.backdrop_cast(dark) == pytest.approx(photometry.backdrop_cast(light), abs=1.5)
    # In CIELAB the dark wall's chroma is a good deal smaller: that is what let casts on mid-grey
    # walls through.
    dark_chroma = math.hypot(*photometry.lab_mean(dark)[1:])
    light_chroma = math.hypot(*photometry.lab_mean(light)[1:])
    assert dark_chroma < 0.7 * light_chroma
    # Both fail, with the skin's own colour natural (a brown skin under the cast).
    brown = skin((60, 90, 150))
    for wall_pixels in (dark, light):
        assert not passes(FaceCheck.NATURAL_COLOUR, photometry.natural_colour(brown, wall_pixels))
    # A neutral wall reads grey at any lightness.
    assert photometry.backdrop_cast(dark_wall) < 1.0
    assert photometry.backdrop_cast(GREY_WALL) < 1.0


def test_natural_colour_uses_the_skin_alone_without_a_background() -> None:
    none = np.zeros((0, 3), np.uint8)
    assert passes(FaceCheck.NATURAL_COLOUR, photometry.natural_colour(skin((120, 150, 200)), none))
    assert not passes(
        FaceCheck.NATURAL_COLOUR, photometry.natural_colour(skin((170, 160, 120)), none)
    )


def wall(height: int, width: int) -> NDArray[np.uint8]:
    """A pale wall lit from one side and darker towards the top, with JPEG noise."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 0.8 + 0.2 * xx / width - 0.1 * (1.0 - yy / height)
    image = (np.array([190, 200, 205], np.float32) * light[:, :, None]).astype(np.uint8)
    _, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 60])
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), np.uint8)


def cluttered(image: NDArray[np.uint8], shapes: int) -> NDArray[np.uint8]:
    """Shapes of random colours over the image, placed and sized relative to it."""
    out = image.copy()
    h, w = image.shape[:2]
    rng = np.random.default_rng(2)
    for _ in range(shapes):
        x, y = int(rng.uniform(0, 0.9) * w), int(rng.uniform(0, 0.9) * h)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.rectangle(out, (x, y), (x + w // 12, y + h // 10), colour, -1)
    return out


def test_background_uniformity_passes_a_plain_wall_unevenly_lit_and_fails_on_clutter() -> None:
    plain = wall(240, 320)
    mask = np.full(plain.shape[:2], 255, np.uint8)
    assert background.backdrop_clutter(plain, mask) < 0.01
    assert passes(FaceCheck.BACKGROUND_UNIFORMITY, background.backdrop_clutter(plain, mask))
    assert not passes(
        FaceCheck.BACKGROUND_UNIFORMITY, background.backdrop_clutter(cluttered(plain, 80), mask)
    )


def test_background_clutter_is_a_share_of_the_backdrop_whatever_the_image_size() -> None:
    small, large = cluttered(wall(240, 320), 25), cluttered(wall(720, 960), 25)
    mask_small = np.full(small.shape[:2], 255, np.uint8)
    mask_large = np.full(large.shape[:2], 255, np.uint8)
    share = background.backdrop_clutter(small, mask_small)
    assert 0.1 < share < 0.9
    assert background.backdrop_clutter(large, mask_large) == pytest.approx(share, abs=0.03)


def test_background_clutter_counts_only_the_backdrop_region() -> None:
    image = cluttered(wall(240, 320), 80)
    image[:, :160] = wall(240, 320)[:, :160]
    left_only = np.zeros(image.shape[:2], np.uint8)
    left_only[:, :150] = 255
    assert background.backdrop_clutter(image, left_only) < 0.01
    assert math.isnan(background.backdrop_clutter(image, np.zeros_like(left_only)))


def face_crop(astronaut: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.asarray(cv2.cvtColor(astronaut[60:190, 160:290], cv2.COLOR_BGR2GRAY), np.uint8)


def smeared(grey: NDArray[np.uint8], dy: int, dx: int, length: int = 11) -> NDArray[np.uint8]:
    return np.asarray(
        cv2.filter2D(grey, -1, image.line_kernel(dy, dx, length), borderType=cv2.BORDER_REPLICATE),
        np.uint8,
    )


def test_focus_fails_on_a_defocused_face_and_the_motion_measure_does_not(
    astronaut: NDArray[np.uint8],
) -> None:
    face = face_crop(astronaut)
    defocused = np.asarray(cv2.GaussianBlur(face, (0, 0), 2.0), np.uint8)
    assert passes(FaceCheck.SHARPNESS, image.focus(image.directional_sharpness(face)))
    assert not passes(FaceCheck.SHARPNESS, image.focus(image.directional_sharpness(defocused)))
    assert image.motion_smear(image.directional_sharpness(defocused)) <= DEFAULTS.motion.max  # type: ignore[operator]


@pytest.mark.parametrize(
    "direction", [(0, 1), (1, 0), (1, 1)], ids=["horizontal", "vertical", "diagonal"]
)
def test_motion_blur_in_any_direction_exceeds_the_motion_limit(
    astronaut: NDArray[np.uint8], direction: tuple[int, int]
) -> None:
    face = face_crop(astronaut)
    assert image.motion_smear(image.directional_sharpness(face)) <= DEFAULTS.motion.max  # type: ignore[operator]
    assert (
        image.motion_smear(image.directional_sharpness(smeared(face, *direction, 9)))
        > DEFAULTS.motion.max
    )  # type: ignore[operator]


def test_compression_fails_on_heavy_jpeg(astronaut: NDArray[np.uint8]) -> None:
    grey = cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)
    _, data = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, 5])
    blocky = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    assert passes(FaceCheck.COMPRESSION, image.blockiness(grey))
    assert not passes(FaceCheck.COMPRESSION, image.blockiness(blocky))


def test_eyes_visible_fails_when_the_eye_regions_are_flat() -> None:
    rng = np.random.default_rng(3)
    eye = rng.integers(20, 240, 300).astype(np.uint8)
    covered = np.full(300, 30, np.uint8)
    face = np.full(2000, 150, np.uint8)
    assert passes(FaceCheck.EYES_VISIBLE, appearance.eyes_visible(eye, eye, face))
    assert not passes(FaceCheck.EYES_VISIBLE, appearance.eyes_visible(eye, covered, face))


def test_head_covering_fails_when_the_forehead_is_not_skin() -> None:
    cheeks = skin((120, 150, 200))
    assert passes(
        FaceCheck.HEAD_COVERING, appearance.forehead_difference(skin((115, 145, 195)), cheeks)
    )
    assert not passes(
        FaceCheck.HEAD_COVERING, appearance.forehead_difference(skin((160, 40, 30)), cheeks)
    )


def test_every_vocabulary_id_has_limits_and_advice() -> None:
    from kitd.quality.face.vocabulary import ADVICE

    assert set(ADVICE) == set(FaceCheck)
    # Every check id has limits; sharpness and compression have a second set for their second measure.
    assert {f for f in FaceThresholds().to_dict()} == {c.value for c in FaceCheck} | {
        "sharpness_motion",
        "compression_jpeg_quality",
    }


def test_inter_eye_distance_of_a_turned_head_is_its_frontal_one(
    mesh_points: NDArray[np.float32],
) -> None:
    frame = geometry.head_frame(mesh_points)
    d = frame.inter_eye_distance
    assert geometry.frontal_eye_distance(frame, 0.0) == pytest.approx(d)
    assert geometry.frontal_eye_distance(frame, 30.0) == pytest.approx(d / np.cos(np.radians(30)))
    assert geometry.frontal_eye_distance(frame, float("nan")) == pytest.approx(d)


@pytest.mark.parametrize("quality", [5, 30, 50, 75, 95])
def test_the_jpeg_quality_is_read_back_from_the_quantisation_table(
    astronaut: NDArray[np.uint8], quality: int
) -> None:
    ok, data = cv2.imencode(".jpg", astronaut, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    assert jpeg.jpeg_quality(data.tobytes()) == quality


def test_no_jpeg_quality_for_other_or_damaged_files(astronaut: NDArray[np.uint8]) -> None:
    _, png = cv2.imencode(".png", astronaut)
    _, jpg = cv2.imencode(".jpg", astronaut)
    assert np.isnan(jpeg.jpeg_quality(png.tobytes()))
    assert np.isnan(jpeg.jpeg_quality(b"not an image"))
    assert np.isnan(jpeg.jpeg_quality(jpg.tobytes()[:30]))


def test_compression_fails_on_a_low_jpeg_quality_setting_with_its_own_advice() -> None:
    from kitd.quality.face.judgement import judge_compression
    from kitd.quality.face.vocabulary import JPEG_QUALITY_ADVICE

    clean, limits, quality = 1.0, DEFAULTS.compression, DEFAULTS.jpeg_quality
    low = judge_compression(clean, 20.0, limits, quality)
    assert not low.passed and low.value == 20.0 and low.guidance == JPEG_QUALITY_ADVICE.too_low
    assert judge_compression(clean, 90.0, limits, quality).passed
    assert judge_compression(clean, float("nan"), limits, quality).passed
    assert not judge_compression(5.0, 90.0, limits, quality).passed


def test_pose_limits_fire_only_when_both_readings_are_beyond_them_the_same_way() -> None:
    # Both turned the same way: the reading nearer to level is judged.
    assert pose.agreed_turn(7.0, 9.0) == 7.0
    assert pose.agreed_turn(-12.0, -6.0) == -6.0
    assert not passes(FaceCheck.YAW, pose.agreed_turn(7.0, 9.0))
    # One reading within the limit: the face passes, whatever the other says.
    assert passes(FaceCheck.YAW, pose.agreed_turn(4.0, 8.0))
    assert passes(FaceCheck.PITCH, pose.agreed_turn(-6.2, -4.3))
    # Readings that disagree on the direction agree on nothing: level.
    assert pose.agreed_turn(3.0, -2.0) == 0.0
    # A missing reading leaves the other.
    assert pose.agreed_turn(math.nan, 6.0) == 6.0
    assert math.isnan(pose.agreed_turn(math.nan, math.nan))

"""What the simulated camera sees: a scene description and the renderer that turns it into a picture.

A `Scene` is plain data (hashable, so rendered pictures can be cached): which person or image, how it is
posed (roll, approximate yaw and pitch, scale, offset) and what the room does to it (exposure, colour
cast, blur, uneven light, busy background, a second face, a bar over the eyes, no face at all). `render`
is a pure function of the scene. Rendering is far too slow to run per frame at 1080p on two cores, so the
simulator renders once per scene change and streams the encoded result; nothing here may run per frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from kitsim.camera.document import draw_page
from kitsim.camera.portrait import BUILTINS, Layer, astronaut_portrait, picture
from kitsim.device import ControlError

# ICAO framing of the built-in portrait: chin to crown 75 % of the height (70-80 % allowed), eye line
# 40 % from the top (30-50 % allowed), eyes centred horizontally.
HEAD_FRACTION = 0.75
EYE_LINE = 0.40
# A plain, light, neutral grey backdrop like the screen behind the person at the counter.
BACKDROP_BGR = (200, 201, 203)
# The second face stands behind the first, smaller and to the side.
SECOND_FACE_SCALE = 0.45
# Head model for turning a photo (in inter-eye distances, times the head's half width for the depth):
# a real head is deeper than a sphere of its width, and the nose adds more; tuned so a face mesh reads
# roughly the yaw and pitch asked for.
DEPTH_GAIN = 1.5
NOSE_HEIGHT = 0.6
SECOND_FACE_AT = (0.17, 0.36)

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Scene:
    """What the camera simulator shows: size, picture, pose, scale and the faults applied to it."""

    width: int = 1280
    height: int = 720
    builtin: str = "portrait"
    image: str = ""
    # Eye centres (person's right, person's left) in the image file's pixels, when `image` is used.
    eyes: tuple[tuple[float, float], tuple[float, float]] | None = None
    # Degrees. roll > 0 turns the head clockwise as seen in the picture; yaw > 0 turns it
    # towards the picture's right; pitch > 0 lifts the chin.
    roll: float = 0.0
    yaw: float = 0.0
    pitch: float = 0.0
    # Distance: 1.0 is the ICAO framing, 0.5 twice as far away.
    scale: float = 1.0
    # Offset of the face as a fraction of the frame width / height (right / down > 0).
    dx: float = 0.0
    dy: float = 0.0
    # Exposure change in stops (EV): -1 halves the light.
    exposure: float = 0.0
    # Gains for red, green, blue (1, 1, 1 = neutral).
    colour_cast: RGB = (1.0, 1.0, 1.0)
    # Gaussian blur sigma in output pixels (defocus, motion).
    blur: float = 0.0
    # Fraction of the light lost on the picture's left edge (side light from the right).
    uneven_light: float = 0.0
    # 0 = plain backdrop, 1 = cluttered room behind the person.
    busy_background: float = 0.0
    second_face: bool = False
    eye_bar: bool = False
    no_face: bool = False
    # A paper document (kitsim.camera.document) held up to the camera instead of a person.
    page: bool = False


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ControlError(f"scene: {name} must be a number, got {value!r}")
    return float(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ControlError(f"scene: {name} must be true or false, got {value!r}")
    return value


def _colour_cast(name: str, value: Any) -> RGB:
    # A single number is a warm (> 0) or cool (< 0) cast; a list gives the red, green, blue gains.
    if isinstance(value, list | tuple):
        if len(value) != 3:
            raise ControlError(f"scene: {name} as a list needs three gains (red, green, blue)")
        red, green, blue = (_number(name, v) for v in value)
        return (red, green, blue)
    amount = _number(name, value)
    return (1.0 + 0.5 * amount, 1.0, 1.0 - 0.5 * amount)


def _eyes(name: str, value: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        (rx, ry), (lx, ly) = value
        return (_number(name, rx), _number(name, ry)), (
            _number(name, lx),
            _number(name, ly),
        )
    except (TypeError, ValueError):
        raise ControlError(
            f"scene: {name} must be [[x, y], [x, y]] (person's right eye first)"
        ) from None


def _pixels(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 16 <= value <= 4096:
        raise ControlError(f"scene: {name} must be a whole number of pixels (16..4096)")
    return value


def _builtin(name: str, value: Any) -> str:
    if value not in BUILTINS:
        raise ControlError(f"scene: unknown {name} {value!r} (known: {', '.join(BUILTINS)})")
    return str(value)


def _image(name: str, value: Any) -> str:
    if not isinstance(value, str) or not Path(value).is_file():
        raise ControlError(f"scene: {name} {value!r} is not a readable file")
    return str(Path(value).resolve())


def _amount(name: str, value: Any) -> float:
    # An amount that is also on or off: true is all of it, false none.
    return float(value) if isinstance(value, bool) else _number(name, value)


# How each knob's control argument is read and checked; a knob not listed is a plain number.
_KNOBS: dict[str, Callable[[str, Any], Any]] = {
    "width": _pixels,
    "height": _pixels,
    "builtin": _builtin,
    "image": _image,
    "eyes": _eyes,
    "colour_cast": _colour_cast,
    "second_face": _flag,
    "eye_bar": _flag,
    "no_face": _flag,
    "page": _flag,
    "busy_background": _amount,
}


def _check_ranges(scene: Scene) -> None:
    """Raises ControlError for a knob outside the range the renderer can draw."""
    if scene.scale <= 0.0:
        raise ControlError("scene: scale must be > 0")
    if not 0.0 <= scene.uneven_light <= 1.0 or not 0.0 <= scene.busy_background <= 1.0:
        raise ControlError("scene: uneven_light and busy_background must be within 0..1")
    if scene.blur < 0.0:
        raise ControlError("scene: blur must be >= 0")


def scene_from_args(args: dict[str, Any], *, width: int, height: int) -> Scene:
    """Builds a scene from control arguments; knobs not given take their neutral value."""
    known = {f.name for f in fields(Scene)}
    unknown = sorted(set(args) - known)
    if unknown:
        raise ControlError(
            f"scene: unknown knob(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    values: dict[str, Any] = {"width": width, "height": height}
    for name, value in args.items():
        read: Callable[[str, Any], Any] = _KNOBS.get(name, _number)
        values[name] = read(name, value)
    scene = Scene(**values)
    _check_ranges(scene)
    return scene


def _layer(scene: Scene) -> Layer:
    if scene.image:
        try:
            base = picture(Path(scene.image), scene.eyes)
        except ValueError as exc:
            raise ControlError(f"scene: {exc}") from None
    else:
        base = BUILTINS[scene.builtin]()
    return _turn(base, scene.yaw, scene.pitch)


def _turn(layer: Layer, yaw: float, pitch: float) -> Layer:
    """The layer with its head turned, modelling the head as an ellipsoid with a protruding nose.

    A flat photo turned as a card keeps the nose in the middle of the face, so a face mesh still reads
    it as frontal. Moving every point of the face sideways by its depth times sin(yaw) (and up by its
    depth times sin(pitch)) shifts the nose and mouth against the face outline the way a real turn
    does. Approximate (no occlusion of the far cheek), good to about 30 degrees.
    """
    yaw_rad = math.radians(yaw)
    pitch_rad = math.radians(pitch - layer.pitch_correction)
    if yaw_rad == 0.0 and pitch_rad == 0.0:
        return layer
    rx, ry = layer.right_eye
    lx, ly = layer.left_eye
    eye_distance = max(math.hypot(lx - rx, ly - ry), 1.0)
    mid_x, mid_y = layer.eye_mid
    w, h = layer.size
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    # Head ellipsoid centred a little below the eyes; depth in layer pixels.
    cx, cy = mid_x, mid_y + 0.35 * eye_distance
    a, b = 1.25 * eye_distance, 1.75 * eye_distance
    u, v = (xs - cx) / a, (ys - cy) / b
    depth = DEPTH_GAIN * a * np.sqrt(np.clip(1.0 - u * u - v * v, 0.0, None))
    nose_x, nose_y = mid_x, mid_y + 0.85 * eye_distance
    depth += (
        NOSE_HEIGHT
        * eye_distance
        * np.exp(-((xs - nose_x) ** 2 + (ys - nose_y) ** 2) / (2 * (0.3 * eye_distance) ** 2))
    )
    # Inverse map, depth taken at the output position (fine for moderate angles).
    map_x = cx + ((xs - cx) - depth * math.sin(yaw_rad)) / math.cos(yaw_rad)
    map_y = cy + ((ys - cy) + depth * math.sin(pitch_rad)) / math.cos(pitch_rad)
    image = np.asarray(
        cv2.remap(layer.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
        np.uint8,
    )
    alpha = np.asarray(
        cv2.remap(layer.alpha, map_x, map_y, cv2.INTER_LINEAR, borderValue=0), np.float32
    )

    # The eyes move with the face surface at their depth.
    def moved(point: tuple[float, float]) -> tuple[float, float]:
        px, py = point
        uu, vv = (px - cx) / a, (py - cy) / b
        z = DEPTH_GAIN * a * math.sqrt(max(0.0, 1.0 - uu * uu - vv * vv))
        return (
            cx + (px - cx) * math.cos(yaw_rad) + z * math.sin(yaw_rad),
            cy + (py - cy) * math.cos(pitch_rad) - z * math.sin(pitch_rad),
        )

    return Layer(
        image=image,
        alpha=alpha,
        right_eye=moved(layer.right_eye),
        left_eye=moved(layer.left_eye),
        head_height=layer.head_height,
    )


def _placement(
    layer: Layer, roll: float, scale: float, at: tuple[float, float]
) -> NDArray[np.float64]:
    """Layer pixels -> frame pixels: pose, then distance, roll and position of the eye midpoint."""
    angle = math.radians(roll)
    if layer.head_height is not None:
        # A person's photo is levelled first (eye line horizontal), so roll 0 means a level head.
        (rx, ry), (lx, ly) = layer.right_eye, layer.left_eye
        angle -= math.atan2(ly - ry, lx - rx)
    cos_a, sin_a = math.cos(angle) * scale, math.sin(angle) * scale
    # Clockwise on screen for angle > 0 (y grows downwards).
    place = np.array([[cos_a, -sin_a, at[0]], [sin_a, cos_a, at[1]], [0, 0, 1]], np.float64)
    mid_x, mid_y = layer.eye_mid
    to_centre = np.array([[1, 0, -mid_x], [0, 1, -mid_y], [0, 0, 1]], np.float64)
    result: NDArray[np.float64] = place @ to_centre
    return result


def _main_placement(layer: Layer, scene: Scene) -> NDArray[np.float64]:
    w, h = scene.width, scene.height
    if layer.head_height is not None:
        scale = HEAD_FRACTION * h / layer.head_height * scene.scale
        at = (w / 2.0 + scene.dx * w, EYE_LINE * h + scene.dy * h)
    else:
        # An arbitrary picture fills the frame (cover) and keeps its own framing.
        lw, lh = layer.size
        fill = max(w / lw, h / lh)
        scale = fill * scene.scale
        mid_x, mid_y = layer.eye_mid
        at = (
            w / 2.0 + (mid_x - lw / 2.0) * scale + scene.dx * w,
            h / 2.0 + (mid_y - lh / 2.0) * scale + scene.dy * h,
        )
    return _placement(layer, scene.roll, scale, at)


def _backdrop(scene: Scene) -> NDArray[np.float32]:
    w, h = scene.width, scene.height
    plain = np.empty((h, w, 3), np.float32)
    plain[:] = BACKDROP_BGR
    if scene.busy_background <= 0.0:
        return plain
    # A cluttered room: shelves, frames, posters; fixed seed so a scene always looks the same.
    rng = np.random.default_rng(20240611)
    clutter = np.empty((h, w, 3), np.uint8)
    clutter[:] = (120, 135, 150)
    unit = max(w, h) / 64.0
    for _ in range(60):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        rw, rh = int(rng.uniform(2, 14) * unit), int(rng.uniform(2, 14) * unit)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.rectangle(clutter, (x, y), (x + rw, y + rh), colour, -1)
    for _ in range(40):
        p0 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.line(clutter, p0, p1, colour, max(1, int(unit / 3)))
    amount = scene.busy_background
    return (1.0 - amount) * plain + amount * clutter.astype(np.float32)


def _composite(canvas: NDArray[np.float32], layer: Layer, matrix: NDArray[np.float64]) -> None:
    size = (canvas.shape[1], canvas.shape[0])
    pixels = cv2.warpPerspective(layer.image, matrix, size, flags=cv2.INTER_CUBIC, borderValue=0)
    alpha = cv2.warpPerspective(layer.alpha, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0)
    a = alpha[:, :, None]
    canvas *= 1.0 - a
    canvas += a * pixels.astype(np.float32)


def eye_positions(scene: Scene) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Where the main person's eyes land in the frame (right, left); None without a face."""
    if scene.no_face or scene.page:
        return None
    layer = _layer(scene)
    matrix = _main_placement(layer, scene)
    points = np.array([[layer.right_eye, layer.left_eye]], np.float64)
    (right, left) = cv2.perspectiveTransform(points, matrix)[0]
    return (float(right[0]), float(right[1])), (float(left[0]), float(left[1]))


def render(scene: Scene) -> NDArray[np.uint8]:
    """The frame the camera sees for this scene, BGR uint8, height x width x 3."""
    w, h = scene.width, scene.height
    canvas = _backdrop(scene)
    if scene.page:
        draw_page(canvas)
    elif not scene.no_face:
        layer = _layer(scene)
        main = _main_placement(layer, scene)
        if scene.second_face:
            other = _turn(astronaut_portrait(), 0.0, 0.0)
            assert other.head_height is not None
            scale = HEAD_FRACTION * h / other.head_height * SECOND_FACE_SCALE
            at = (SECOND_FACE_AT[0] * w, SECOND_FACE_AT[1] * h)
            _composite(canvas, other, _placement(other, 0.0, scale, at))
        _composite(canvas, layer, main)
        if scene.eye_bar:
            _draw_eye_bar(canvas, layer, main)
    if scene.uneven_light > 0.0:
        ramp = np.linspace(1.0 - scene.uneven_light, 1.0, w, dtype=np.float32)
        canvas *= ramp[None, :, None]
    gains = np.array(
        [scene.colour_cast[2], scene.colour_cast[1], scene.colour_cast[0]], np.float32
    ) * np.float32(2.0**scene.exposure)
    canvas *= gains[None, None, :]
    image = np.clip(canvas, 0.0, 255.0).astype(np.uint8)
    if scene.blur > 0.0:
        image = np.asarray(cv2.GaussianBlur(image, (0, 0), scene.blur), np.uint8)
    return np.ascontiguousarray(image)


def _draw_eye_bar(canvas: NDArray[np.float32], layer: Layer, matrix: NDArray[np.float64]) -> None:
    points = np.array([[layer.right_eye, layer.left_eye]], np.float64)
    right, left = cv2.perspectiveTransform(points, matrix)[0]
    span = left - right
    distance = float(np.hypot(*span))
    # Wide and tall enough to hide both eyes and brows, like sunglasses or a hand.
    start = right - 0.55 * span
    end = left + 0.55 * span
    thickness = max(2, int(0.55 * distance))
    cv2.line(
        canvas,
        (int(start[0]), int(start[1])),
        (int(end[0]), int(end[1])),
        (20.0, 20.0, 20.0),
        thickness,
        cv2.LINE_AA,
    )

"""The degradation suite: one defect at a time applied to a portrait, and the check that must catch it.

Used by scripts/eval-face, the benchmark and the reference tests to measure how often the right check
fails on a degraded copy of a photo that passed it. Each degradation is a pure function of the image
and the original's assessment (for where the face is). This is evaluation code: the assessment must
never use it, and it must never write images anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.face import mesh
from kitd.quality.face.assessment import FaceAssessment
from kitd.quality.face.checks.geometry import CROWN_FACTOR
from kitd.quality.face.checks.image import line_kernel
from kitd.quality.face.vocabulary import FaceCheck

Image = NDArray[np.uint8]


@dataclass(frozen=True)
class Degradation:
    """A way to spoil a good portrait, and the checks that must catch it."""

    name: str
    # The degradation is caught when any of these checks fails on the degraded image.
    catches: tuple[FaceCheck, ...]
    apply: Callable[[Image, FaceAssessment], Image]


def _points(a: FaceAssessment) -> NDArray[np.float64]:
    if a.landmarks is None:
        raise ValueError("the original has no landmarks")
    return np.asarray(a.landmarks, dtype=np.float64)


def _eye_midpoint(a: FaceAssessment) -> NDArray[np.float64]:
    p = _points(a)
    corners = list(mesh.RIGHT_EYE_CORNERS + mesh.LEFT_EYE_CORNERS)
    result: NDArray[np.float64] = p[corners].mean(axis=0)
    return result


def _inter_eye(a: FaceAssessment) -> float:
    p = _points(a)
    right = p[list(mesh.RIGHT_EYE_CORNERS)].mean(axis=0)
    left = p[list(mesh.LEFT_EYE_CORNERS)].mean(axis=0)
    return float(np.linalg.norm(left - right))


def rotated(degrees: float) -> Callable[[Image, FaceAssessment], Image]:
    """The picture turned so the head leans `degrees` from level (positive: to the person's left shoulder)."""

    def apply(image: Image, a: FaceAssessment) -> Image:
        cx, cy = _eye_midpoint(a)
        p = _points(a)
        d = p[list(mesh.LEFT_EYE_CORNERS)].mean(axis=0) - p[list(mesh.RIGHT_EYE_CORNERS)].mean(
            axis=0
        )
        roll = float(np.degrees(np.arctan2(d[1], d[0])))
        # OpenCV turns counter-clockwise for positive angles, which lowers the roll.
        matrix = np.asarray(
            cv2.getRotationMatrix2D((float(cx), float(cy)), roll - degrees, 1.0), dtype=np.float64
        )
        h, w = image.shape[:2]
        out: Image = np.asarray(
            cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE), dtype=np.uint8
        )
        return out

    return apply


def small_face(image: Image, a: FaceAssessment) -> Image:
    """The whole picture scaled so the inter-eye distance is about 50 px."""
    factor = 50.0 / _inter_eye(a)
    h, w = image.shape[:2]
    out: Image = np.asarray(
        cv2.resize(image, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA),
        dtype=np.uint8,
    )
    return out


def off_centre(image: Image, a: FaceAssessment) -> Image:
    """Shifted sideways so the eyes sit at a quarter of the width (towards the nearer side)."""
    h, w = image.shape[:2]
    x = float(_eye_midpoint(a)[0])
    target = 0.25 * w if x < w / 2 else 0.75 * w
    matrix = np.array([[1.0, 0.0, target - x], [0.0, 1.0, 0.0]])
    out: Image = np.asarray(
        cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE), dtype=np.uint8
    )
    return out


def head_cut(image: Image, a: FaceAssessment) -> Image:
    """The top cut off halfway between the crown and the upper forehead."""
    p = _points(a)
    chin, forehead = p[mesh.CHIN], p[mesh.FOREHEAD]
    crown_y = chin[1] + CROWN_FACTOR * (forehead[1] - chin[1])
    cut = max(1, round(float(crown_y + forehead[1]) / 2.0))
    return image[cut:].copy()


def exposure(gain: float) -> Callable[[Image, FaceAssessment], Image]:
    """A degradation that multiplies every pixel by `gain` (over- or under-exposure)."""

    def apply(image: Image, a: FaceAssessment) -> Image:
        out: Image = np.asarray(cv2.convertScaleAbs(image, alpha=gain), dtype=np.uint8)
        return out

    return apply


def blurred(image: Image, a: FaceAssessment) -> Image:
    """The portrait blurred in proportion to its eye distance."""
    out: Image = np.asarray(
        cv2.GaussianBlur(image, (0, 0), max(1.0, _inter_eye(a) / 25.0)), dtype=np.uint8
    )
    return out


def motion_blurred(dy: int, dx: int) -> Callable[[Image, FaceAssessment], Image]:
    """Smeared along (dy, dx) over a fifth of the inter-eye distance, as when the kit moves during the
    exposure; (0, 1) is a horizontal shake, (1, 0) a vertical one.
    """

    def apply(image: Image, a: FaceAssessment) -> Image:
        length = max(3, round(_inter_eye(a) / 5.0)) | 1
        kernel = line_kernel(dy, dx, length)
        out: Image = np.asarray(
            cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REPLICATE), dtype=np.uint8
        )
        return out

    return apply


def jpeg_q5(image: Image, a: FaceAssessment) -> Image:
    """The portrait saved as a JPEG of quality 5 and read back."""
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 5])
    if not ok:
        raise ValueError("JPEG encoding failed")
    out: Image = np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), dtype=np.uint8)
    return out


def uneven_light(image: Image, a: FaceAssessment) -> Image:
    """Light from one side: falling off to 0.35 across the face, towards the side that was darker."""
    p = _points(a)
    x0, x1 = p[mesh.RIGHT_FACE_SIDE, 0], p[mesh.LEFT_FACE_SIDE, 0]
    grey = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    r = max(2, int(0.08 * abs(x1 - x0)))

    def cheek(index: int) -> float:
        x, y = int(p[index, 0]), int(p[index, 1])
        return float(grey[max(0, y - r) : y + r, max(0, x - r) : x + r].mean())

    if cheek(mesh.RIGHT_CHEEK) > cheek(mesh.LEFT_CHEEK):
        x0, x1 = x1, x0
    w = image.shape[1]
    ramp = (np.arange(w) - x0) / (x1 - x0 if abs(x1 - x0) >= 1.0 else 1.0)
    gain = np.clip(0.35 + 0.65 * ramp, 0.35, 1.0).astype(np.float32)
    out: Image = np.clip(image.astype(np.float32) * gain[None, :, None], 0, 255).astype(np.uint8)
    return out


def colour_cast(blue: float, green: float, red: float) -> Callable[[Image, FaceAssessment], Image]:
    """Every pixel's channels multiplied by these gains, as under coloured light with the white balance off."""
    gains = np.array([blue, green, red], dtype=np.float32)

    def apply(image: Image, a: FaceAssessment) -> Image:
        out: Image = np.clip(image.astype(np.float32) * gains, 0, 255).astype(np.uint8)
        return out

    return apply


def _head_keep_mask(image: Image, a: FaceAssessment) -> NDArray[np.uint8]:
    """The person: a head ellipse with room for hair, and everything below the chin across the shoulders."""
    p = _points(a)
    h, w = image.shape[:2]
    chin, forehead = p[mesh.CHIN], p[mesh.FOREHEAD]
    crown = chin + CROWN_FACTOR * (forehead - chin)
    face_w = float(np.linalg.norm(p[mesh.LEFT_FACE_SIDE] - p[mesh.RIGHT_FACE_SIDE]))
    centre = (chin + crown) / 2.0
    keep = np.zeros((h, w), dtype=np.uint8)
    axes = (int(0.68 * face_w), int(0.58 * float(np.linalg.norm(chin - crown))))
    cv2.ellipse(keep, (int(centre[0]), int(centre[1])), axes, 0.0, 0.0, 360.0, 255, -1)
    keep[int(chin[1]) :, max(0, int(centre[0] - 1.2 * face_w)) : int(centre[0] + 1.2 * face_w)] = (
        255
    )
    return keep


def busy_background(image: Image, a: FaceAssessment) -> Image:
    """Shelves, posters and clutter: random shapes everywhere but on the person."""
    rng = np.random.default_rng(int(image.shape[0]) * 7919 + int(image.shape[1]))
    h, w = image.shape[:2]
    clutter = image.copy()
    for _ in range(300):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        size = int(rng.integers(max(4, w // 40), max(5, w // 8)))
        if rng.random() < 0.5:
            cv2.rectangle(clutter, (x, y), (x + size, y + size // 2), colour, -1)
        else:
            cv2.circle(clutter, (x, y), size // 2, colour, -1)
    keep = _head_keep_mask(image, a) > 0
    clutter[keep] = image[keep]
    return clutter


def second_face(image: Image, a: FaceAssessment) -> Image:
    """A smaller copy of the face pasted into the upper corner away from the face."""
    if a.face_box is None:
        raise ValueError("the original has no face box")
    x, y, bw, bh = a.face_box
    h, w = image.shape[:2]
    pad = int(0.25 * max(bw, bh))
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(w, x + bw + pad), min(h, y + bh + pad)
    face = image[y0:y1, x0:x1]
    scale = min(0.55, 0.45 * w / max(1, x1 - x0))
    small = np.asarray(
        cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    sh, sw = small.shape[:2]
    out = image.copy()
    left = x + bw / 2 > w / 2
    px = 0 if left else w - sw
    out[0:sh, px : px + sw] = small
    return out


def eyes_covered(image: Image, a: FaceAssessment) -> Image:
    """A dark band over both eyes (sunglasses, a hand, a strip of hair)."""
    p = _points(a)
    right = p[list(mesh.RIGHT_EYE_CORNERS)].mean(axis=0)
    left = p[list(mesh.LEFT_EYE_CORNERS)].mean(axis=0)
    along = (left - right) / max(float(np.linalg.norm(left - right)), 1.0)
    across = np.array([-along[1], along[0]])
    d = float(np.linalg.norm(left - right))
    a0, a1 = right - 0.55 * d * along, left + 0.55 * d * along
    corners = np.array(
        [
            a0 - 0.28 * d * across,
            a1 - 0.28 * d * across,
            a1 + 0.28 * d * across,
            a0 + 0.28 * d * across,
        ]
    )
    out = image.copy()
    cv2.fillPoly(out, [np.round(corners).astype(np.int32).reshape(-1, 1, 2)], (28, 28, 30))
    return out


SUITE: tuple[Degradation, ...] = (
    Degradation("rotated +12°", (FaceCheck.ROLL,), rotated(12.0)),
    Degradation("rotated -12°", (FaceCheck.ROLL,), rotated(-12.0)),
    Degradation("inter-eye distance ~50 px", (FaceCheck.INTER_EYE_DISTANCE,), small_face),
    Degradation("face off-centre", (FaceCheck.EYES_CENTERED,), off_centre),
    Degradation("top of head cut off", (FaceCheck.HEAD_FULLY_VISIBLE,), head_cut),
    # Too little light crushes the face's contrast as well as its brightness.
    Degradation(
        "under-exposed",
        (FaceCheck.UNDER_EXPOSURE, FaceCheck.LUMINANCE, FaceCheck.DYNAMIC_RANGE),
        exposure(0.25),
    ),
    Degradation("over-exposed", (FaceCheck.OVER_EXPOSURE, FaceCheck.LUMINANCE), exposure(2.6)),
    Degradation("blurred", (FaceCheck.SHARPNESS,), blurred),
    Degradation("horizontal motion blur", (FaceCheck.SHARPNESS,), motion_blurred(0, 1)),
    Degradation("vertical motion blur", (FaceCheck.SHARPNESS,), motion_blurred(1, 0)),
    Degradation("JPEG quality 5", (FaceCheck.COMPRESSION,), jpeg_q5),
    Degradation("uneven light", (FaceCheck.ILLUMINATION_UNIFORMITY,), uneven_light),
    # Fluorescent tubes (blue-green), a red lamp shade, tungsten light (yellow); all three equally strong
    # (the strongest channel gain 2.25 times the weakest).
    Degradation("blue-green cast", (FaceCheck.NATURAL_COLOUR,), colour_cast(1.35, 1.1, 0.6)),
    Degradation("red cast", (FaceCheck.NATURAL_COLOUR,), colour_cast(0.6, 0.8, 1.35)),
    Degradation("yellow cast", (FaceCheck.NATURAL_COLOUR,), colour_cast(0.53, 1.1, 1.2)),
    Degradation("busy background", (FaceCheck.BACKGROUND_UNIFORMITY,), busy_background),
    Degradation("second face", (FaceCheck.SINGLE_FACE,), second_face),
    Degradation("eyes covered", (FaceCheck.EYES_VISIBLE,), eyes_covered),
)

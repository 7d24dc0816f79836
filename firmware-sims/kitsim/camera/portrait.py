"""The built-in scene content: people to put in front of the simulated camera.

A `Layer` is a picture with an alpha mask and the two eye centres, so the scene renderer can pose it
(roll, yaw, scale, offset) and find the eyes again (for an eye bar, for framing). The default person is
scikit-image's bundled astronaut photo (Eileen Collins, NASA, public domain), cut out of its studio
backdrop with a soft mask around hair, face, neck and collar so it can stand in front of a plain
background like a passport photo. Nothing here may download anything: the photo ships inside the
scikit-image wheel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

# Eye centres (mean of the eye corners) and the chin-to-crown height of the astronaut photo in its
# own 512 x 512 pixels, measured once with a face mesh. Crown = chin + 1.3 * (forehead - chin), as
# ICAO measures the head (hair ignored).
ASTRONAUT_RIGHT_EYE = (203.2, 102.0)  # the person's right eye, on the image's left
ASTRONAUT_LEFT_EYE = (245.8, 103.2)
ASTRONAUT_HEAD_HEIGHT = 140.0
# The inner-lip gap of her smile (teeth showing), measured with the same mesh: the corners of the mouth
# and the middle of the gap with its height. ICAO wants the mouth closed and no smile; the default portrait
# closes the mouth (close_mouth) and relaxes it (relax_mouth).
ASTRONAUT_MOUTH_CORNERS = ((202.9, 140.5), (244.3, 142.3))
ASTRONAUT_MOUTH_GAP = (223.1, 146.3, 8.5)
# Taking her closed-mouth smile out (relax_mouth): the mouth's narrowing (the largest relative shift)
# and its reach across and down in photo pixels, and how far the corners come down. Set so the face
# mesh reads a relaxed mouth (kitd's smile index 0.87 against 1.25 for the closed smile).
RELAX_NARROWING = 0.5
RELAX_REACH = (22.0, 12.0)
RELAX_LOWERING = 7.0
# Opening the relaxed mouth (open_mouth): the lip gap in the middle, how far below the lips the shift
# fades out, and the colour of the mouth's inside.
OPEN_GAP = 9.0
OPEN_REACH = 40.0
MOUTH_INSIDE_BGR = (35.0, 30.0, 60.0)
# A perspective fit of the face mesh (kitd's head pose) reads the photo's head as pitched chin-down;
# the scene renderer's head model undoes this much (measured with that model) so the default scene
# looks straight into the camera.
ASTRONAUT_PITCH_CORRECTION = -10.0


@dataclass(frozen=True)
class Layer:
    """A picture to composite: BGR pixels, alpha 0..1 and where the eyes are (x, y)."""

    image: NDArray[np.uint8]
    alpha: NDArray[np.float32]
    right_eye: tuple[float, float]
    left_eye: tuple[float, float]
    # Chin to crown in layer pixels; None for arbitrary pictures (then the frame is filled instead).
    head_height: float | None
    # Pitch (degrees, chin up > 0) to undo so the person looks straight at the camera.
    pitch_correction: float = 0.0

    @property
    def eye_mid(self) -> tuple[float, float]:
        return (
            (self.right_eye[0] + self.left_eye[0]) / 2.0,
            (self.right_eye[1] + self.left_eye[1]) / 2.0,
        )

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])


def _astronaut_rgb() -> NDArray[np.uint8]:
    from skimage import data  # simulator-only dependency (dev extra)

    rgb = data.astronaut()  # type: ignore[no-untyped-call]
    return np.asarray(rgb, np.uint8)


def close_mouth(bgr: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Closes the smile: each column of the mouth region is squeezed so the rows of the inner-lip gap
    disappear and the upper lip meets the lower one (a vertical remap, strongest mid-mouth, nothing at
    the corners).
    """
    (x0, y0), (x1, y1) = ASTRONAUT_MOUTH_CORNERS
    cx, cy, gap = ASTRONAUT_MOUTH_GAP
    half_width = (x1 - x0) / 2.0
    margin = 7.0
    height, width = bgr.shape[:2]
    map_x, map_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    xs = np.arange(width, dtype=np.float32)
    along = np.clip(1.0 - ((xs - cx) / half_width) ** 2, 0.0, 1.0)
    corner_line = y0 + (y1 - y0) * (xs - x0) / (x1 - x0)
    centre = corner_line + (cy - (y0 + (y1 - y0) * (cx - x0) / (x1 - x0))) * along
    half_gap = gap / 2.0 * along
    ys = map_y
    top, bottom = centre - half_gap - margin, centre + half_gap + margin
    upper = (ys >= top) & (ys < centre)
    lower = (ys >= centre) & (ys <= bottom)
    # Output rows [top, centre) read [top, centre - half_gap); [centre, bottom] read [centre + half_gap, bottom].
    map_y = np.where(upper, top + (ys - top) * (margin / np.maximum(centre - top, 1e-6)), map_y)
    map_y = np.where(
        lower,
        centre + half_gap + (ys - centre) * (margin / np.maximum(bottom - centre, 1e-6)),
        map_y,
    )
    closed = cv2.remap(bgr, map_x, map_y.astype(np.float32), cv2.INTER_LINEAR)
    return np.ascontiguousarray(closed, np.uint8)


def relax_mouth(bgr: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Takes the smile out of a closed mouth: the mouth is narrowed about its middle and its corners are
    lowered to the lips' line (a smooth remap that fades out over the cheeks and chin), so the face mesh
    reads a relaxed mouth, about 0.87 of the eye distance wide with level corners.
    """
    (x0, y0), (x1, y1) = ASTRONAUT_MOUTH_CORNERS
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    half_width = (x1 - x0) / 2.0
    height, width = bgr.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    # Narrowing: each output pixel reads further from the mouth's middle, most at the corners.
    u, v = (xs - cx) / RELAX_REACH[0], (ys - cy) / RELAX_REACH[1]
    outwards = RELAX_NARROWING * RELAX_REACH[0] * u * np.exp(-(u * u + v * v) / 2.0)
    # Lowering: pixels just below each corner read the corner, fading with distance from it.
    at_corner = ((np.abs(xs - cx) - half_width) / 7.0) ** 2 + ((ys - cy) / 9.0) ** 2
    upwards = RELAX_LOWERING * np.exp(-at_corner / 2.0)
    relaxed = cv2.remap(bgr, xs + outwards, ys - upwards, cv2.INTER_LINEAR)
    return np.ascontiguousarray(relaxed, np.uint8)


def open_mouth(bgr: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Drops the lower lip of a closed relaxed mouth (`relax_mouth`'s result) and shows the dark mouth
    behind it: the rows under the lips' line move down by the gap, most in the middle, nothing beyond
    the corners or below the chin.
    """
    (x0, _), (x1, _) = ASTRONAUT_MOUTH_CORNERS
    cx, cy = (x0 + x1) / 2.0, ASTRONAUT_MOUTH_GAP[1]
    half_width = (x1 - x0) / 2.0 * 0.85
    height, width = bgr.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    along = np.clip(1.0 - ((xs - cx) / half_width) ** 2, 0.0, 1.0)
    gap = OPEN_GAP * along
    below = ys - cy
    # Rows from the lips' line down to REACH below it read rows higher up, the shift fading to 0.
    fade = np.clip(1.0 - below / OPEN_REACH, 0.0, 1.0)
    shift = np.where(below >= 0.0, gap * fade, 0.0)
    opened = np.asarray(cv2.remap(bgr, xs, ys - shift, cv2.INTER_LINEAR), np.float32)
    inside = (below >= 0.0) & (below < gap)
    softness = np.clip(np.minimum(below, gap - below), 0.0, 1.5) / 1.5
    weight = np.where(inside, softness, 0.0)[:, :, None]
    opened = (1.0 - weight) * opened + weight * np.asarray(MOUTH_INSIDE_BGR, np.float32)
    return np.ascontiguousarray(np.clip(opened, 0, 255), np.uint8)


@cache
def astronaut_portrait() -> Layer:
    """The astronaut cut out of her backdrop with a relaxed, closed mouth (a neutral expression): head,
    hair, neck and collar, feathered. The default scene.
    """
    return _cut_out(relax_mouth(close_mouth(_astronaut_bgr())))


@cache
def astronaut_closed_smile() -> Layer:
    """The same portrait smiling with the lips closed: passes `mouth_closed`, fails `expression_neutral`."""
    return _cut_out(close_mouth(_astronaut_bgr()))


@cache
def astronaut_open_mouth() -> Layer:
    """The relaxed portrait with the mouth open and no smile: fails `mouth_closed`."""
    return _cut_out(open_mouth(relax_mouth(close_mouth(_astronaut_bgr()))))


@cache
def astronaut_smiling() -> Layer:
    """The same portrait with her smile as photographed (teeth showing): fails `mouth_closed` and
    `expression_neutral`.
    """
    return _cut_out(_astronaut_bgr())


def _astronaut_bgr() -> NDArray[np.uint8]:
    return np.ascontiguousarray(cv2.cvtColor(_astronaut_rgb(), cv2.COLOR_RGB2BGR), np.uint8)


def _cut_out(bgr: NDArray[np.uint8]) -> Layer:
    mask = np.zeros(bgr.shape[:2], np.uint8)
    # Head and hair: the hair spans about x 150..300, y 12..185.
    cv2.ellipse(mask, (226, 100), (76, 92), 0, 0, 360, 255, -1)
    # Neck, collar ring and shoulders, kept clear of the flag (left) and the shuttle model (right).
    cv2.ellipse(mask, (212, 360), (158, 215), 0, 180, 360, 255, -1)
    cv2.rectangle(mask, (54, 360), (370, 511), 255, -1)
    alpha = np.asarray(cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), 4.0), np.float32)
    return Layer(
        image=bgr,
        alpha=alpha,
        right_eye=ASTRONAUT_RIGHT_EYE,
        left_eye=ASTRONAUT_LEFT_EYE,
        head_height=ASTRONAUT_HEAD_HEIGHT,
        pitch_correction=ASTRONAUT_PITCH_CORRECTION,
    )


@cache
def astronaut_photo() -> Layer:
    """The whole astronaut photo with its busy studio backdrop (flag, shuttle model), fully opaque."""
    bgr = np.ascontiguousarray(cv2.cvtColor(_astronaut_rgb(), cv2.COLOR_RGB2BGR), np.uint8)
    portrait = astronaut_portrait()
    return Layer(
        image=bgr,
        alpha=np.ones(bgr.shape[:2], np.float32),
        right_eye=portrait.right_eye,
        left_eye=portrait.left_eye,
        head_height=portrait.head_height,
        pitch_correction=portrait.pitch_correction,
    )


def picture(path: Path, eyes: tuple[tuple[float, float], tuple[float, float]] | None) -> Layer:
    """An image file as an opaque layer. Without eye positions its centre stands in for the eyes."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read an image from {path}")
    height, width = image.shape[:2]
    if eyes is None:
        centre = (width / 2.0, height / 2.0)
        right_eye, left_eye = (centre[0] - 1.0, centre[1]), (centre[0] + 1.0, centre[1])
    else:
        right_eye, left_eye = eyes
    return Layer(
        image=np.ascontiguousarray(image, np.uint8),
        alpha=np.ones((height, width), np.float32),
        right_eye=right_eye,
        left_eye=left_eye,
        head_height=None,
    )


BUILTINS = {
    "portrait": astronaut_portrait,
    "neutral": astronaut_portrait,
    "closed_smile": astronaut_closed_smile,
    "open_mouth": astronaut_open_mouth,
    "smiling": astronaut_smiling,
    "astronaut": astronaut_photo,
}

"""The printable self-test chart: a black frame, a slanted edge, six grey steps and a face-size target.

The layout is data in chart units (the frame's outer edge is 1000 x 1400 units, an A4 portrait page
with 10 mm margins, 1 unit = 0.19 mm), shared by the renderer below and by the camera check that finds
the chart in a frame (kitd/selftest/chart_reading.py). `kit-selftest chart --out chart.png` prints it.
Rendering is pure image drawing; it must never touch a device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

# The frame's outer edge, in chart units.
WIDTH = 1000
HEIGHT = 1400
MM_PER_UNIT = 0.19
PAGE_MARGIN_MM = 10.0
BORDER = 36

# Slanted edge: a black square turned by EDGE_ANGLE degrees; its right side is measured inside EDGE_ROI.
EDGE_CENTRE = (190.0, 1220.0)
EDGE_SIDE = 220.0
EDGE_ANGLE = 5.0
# x0, y0, x1, y1: the middle of the square's right side, clear of its corners.
EDGE_ROI = (255.0, 1150.0, 365.0, 1290.0)

# Grey steps: 8-bit levels from light to dark, patches side by side.
GREY_LEVELS = (243, 200, 160, 120, 80, 40)
STEPS_ORIGIN = (420.0, 1120.0)
STEP_SIZE = (85.0, 200.0)

# Face-size target: an adult face, chin to hairline about 18 cm, 13 cm wide.
FACE_CENTRE = (500.0, 585.0)
FACE_AXES = (330.0, 455.0)
TARGET_GREY = 150


@dataclass(frozen=True)
class Rect:
    """A rectangle on the self-test chart, in chart units."""

    x0: float
    y0: float
    x1: float
    y1: float

    def shrunk(self, fraction: float) -> Rect:
        dx = (self.x1 - self.x0) * fraction / 2
        dy = (self.y1 - self.y0) * fraction / 2
        return Rect(self.x0 + dx, self.y0 + dy, self.x1 - dx, self.y1 - dy)

    def corners(self) -> NDArray[np.float64]:
        return np.array(
            [[self.x0, self.y0], [self.x1, self.y0], [self.x1, self.y1], [self.x0, self.y1]],
            np.float64,
        )


def step_rects() -> list[Rect]:
    """The rectangles of the chart's grey steps, in chart units."""
    x0, y0 = STEPS_ORIGIN
    w, h = STEP_SIZE
    return [Rect(x0 + i * w, y0, x0 + (i + 1) * w, y0 + h) for i in range(len(GREY_LEVELS))]


def edge_roi() -> Rect:
    """The chart area whose edge the sharpness check measures, in chart units."""
    return Rect(*EDGE_ROI)


def frame_corners() -> NDArray[np.float64]:
    """The frame's outer corners in chart units: top left, top right, bottom right, bottom left."""
    return Rect(0, 0, WIDTH, HEIGHT).corners()


def render_chart(dpi: float = 300.0) -> NDArray[np.uint8]:
    """The whole A4 page at `dpi`, 8-bit grey (white paper, black ink)."""
    px_per_unit = MM_PER_UNIT * dpi / 25.4
    margin = PAGE_MARGIN_MM * dpi / 25.4
    page_w = round(WIDTH * px_per_unit + 2 * margin)
    page_h = round(HEIGHT * px_per_unit + 2 * margin)
    page = np.full((page_h, page_w), 255, np.uint8)
    # Draw with sub-pixel precision (shift bits) so the slanted edge is a clean straight line.
    shift = 4
    one = 1 << shift

    def at(x: float, y: float) -> tuple[int, int]:
        return (round((margin + x * px_per_unit) * one), round((margin + y * px_per_unit) * one))

    def polygon(points: list[tuple[float, float]], grey: int) -> None:
        array = np.array([at(x, y) for x, y in points], np.int32)
        cv2.fillPoly(page, [array], grey, cv2.LINE_AA, shift)

    # The black frame.
    polygon([(0, 0), (WIDTH, 0), (WIDTH, HEIGHT), (0, HEIGHT)], 0)
    polygon(
        [
            (BORDER, BORDER),
            (WIDTH - BORDER, BORDER),
            (WIDTH - BORDER, HEIGHT - BORDER),
            (BORDER, HEIGHT - BORDER),
        ],
        255,
    )
    # The slanted square.
    cx, cy = EDGE_CENTRE
    half = EDGE_SIDE / 2
    angle = math.radians(EDGE_ANGLE)
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    square = [
        (cx + x * cos_a - y * sin_a, cy + x * sin_a + y * cos_a)
        for x, y in ((-half, -half), (half, -half), (half, half), (-half, half))
    ]
    polygon(square, 0)
    # Grey steps.
    for rect, level in zip(step_rects(), GREY_LEVELS, strict=True):
        polygon(
            [(rect.x0, rect.y0), (rect.x1, rect.y0), (rect.x1, rect.y1), (rect.x0, rect.y1)], level
        )
    # Face-size target: outline, eye line and centre line, in mid grey so they never look like an edge.
    thickness = max(1, round(4 * px_per_unit))
    centre = at(*FACE_CENTRE)
    axes = (round(FACE_AXES[0] * px_per_unit * one), round(FACE_AXES[1] * px_per_unit * one))
    cv2.ellipse(page, centre, axes, 0, 0, 360, TARGET_GREY, thickness, cv2.LINE_AA, shift)
    eye_y = FACE_CENTRE[1] - 0.1 * FACE_AXES[1]
    for start, end in (
        (
            (FACE_CENTRE[0] - 0.8 * FACE_AXES[0], eye_y),
            (FACE_CENTRE[0] + 0.8 * FACE_AXES[0], eye_y),
        ),
        (
            (FACE_CENTRE[0], FACE_CENTRE[1] - 0.9 * FACE_AXES[1]),
            (FACE_CENTRE[0], FACE_CENTRE[1] + 0.9 * FACE_AXES[1]),
        ),
    ):
        cv2.line(page, at(*start), at(*end), TARGET_GREY, thickness, cv2.LINE_AA, shift)
    _label(
        page, "kit-selftest chart 1: print at 100 %, keep flat and clean", at(60, 85), px_per_unit
    )
    _label(page, "face size: hold where the face would be", at(300, 1085), px_per_unit)
    return page


def _label(page: NDArray[np.uint8], text: str, origin: tuple[int, int], px_per_unit: float) -> None:
    x, y = origin[0] >> 4, origin[1] >> 4
    scale = 0.9 * px_per_unit
    cv2.putText(
        page,
        text,
        (x, y),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        90,
        max(1, round(2 * px_per_unit)),
        cv2.LINE_AA,
    )


def write_chart(path: Path, dpi: float = 300.0) -> Path:
    """Writes the chart as PNG (with its print resolution recorded, so it prints at A4 size)."""
    Image.fromarray(render_chart(dpi), "L").save(path, format="PNG", dpi=(dpi, dpi))
    return path

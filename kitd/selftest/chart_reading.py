"""Finding the printed chart (kitd/selftest/chart.py) in a camera frame and reading it.

The chart's black frame is the largest dark four-sided outline in the picture; its corners give the
homography from chart units to frame pixels, through which the slanted edge and the grey steps are
located in the frame's own pixels (never in a resampled copy, which would blur the edge it measures).
Pure functions on numpy images; nothing here talks to a camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.selftest import chart
from kitd.selftest.slanted_edge import EdgeNotFound, mtf50

# The chart must cover at least this fraction of the frame to be read reliably.
MIN_AREA_FRACTION = 0.04


class ChartNotFound(ValueError):
    """No chart in the frame, or too small or too skewed to read."""


@dataclass(frozen=True)
class ChartView:
    """Where the self-test chart is in a camera frame: its homography and corners."""

    # Chart units -> frame pixels.
    homography: NDArray[np.float64]
    # The frame's outer corners in frame pixels (top left, top right, bottom right, bottom left).
    corners: NDArray[np.float64]
    area_fraction: float

    def to_frame(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        mapped = cv2.perspectiveTransform(points.reshape(-1, 1, 2), self.homography)
        return np.asarray(mapped.reshape(-1, 2), np.float64)

    def box(self, rect: chart.Rect) -> tuple[int, int, int, int]:
        """The frame-pixel bounding box (x0, y0, x1, y1) of a chart rectangle."""
        points = self.to_frame(rect.corners())
        x0, y0 = np.floor(points.min(axis=0)).astype(int)
        x1, y1 = np.ceil(points.max(axis=0)).astype(int)
        return int(x0), int(y0), int(x1), int(y1)


@dataclass(frozen=True)
class GreyStep:
    """One grey patch of the chart as the camera saw it."""

    level: int
    # Mean blue, green, red of the patch in the frame.
    bgr: tuple[float, float, float]

    @property
    def cast_percent(self) -> float:
        """How far the patch is from neutral grey: the largest channel deviation from their mean."""
        mean = sum(self.bgr) / 3.0
        if mean <= 0:
            return 0.0
        return 100.0 * max(abs(c - mean) for c in self.bgr) / mean


@dataclass(frozen=True)
class ChartReading:
    """What the camera made of the chart: its view, sharpness (MTF50) and grey steps."""

    view: ChartView
    mtf50: float
    steps: tuple[GreyStep, ...]

    @property
    def grey_cast_percent(self) -> float:
        """The worst colour cast over the steps light enough to judge (dark ones are mostly noise)."""
        usable = [s.cast_percent for s in self.steps if sum(s.bgr) / 3.0 >= 40.0]
        return max(usable, default=0.0)


def find_chart(image: NDArray[np.uint8]) -> ChartView:
    """The test chart in a camera image: its frame, found as the largest dark quadrilateral."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    height, width = grey.shape
    _, dark = cv2.threshold(
        cv2.GaussianBlur(grey, (5, 5), 0), 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU
    )
    contours, _ = cv2.findContours(dark, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    best: NDArray[np.float64] | None = None
    best_area = 0.0
    for contour in contours:
        area = float(cv2.contourArea(contour))
        if area < MIN_AREA_FRACTION * width * height or area <= best_area:
            continue
        polygon = cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, closed=True), closed=True)
        if len(polygon) != 4 or not cv2.isContourConvex(polygon):
            continue
        best, best_area = polygon.reshape(4, 2).astype(np.float64), area
    if best is None:
        raise ChartNotFound("no chart frame in the picture")
    corners = _ordered(best)
    homography = cv2.getPerspectiveTransform(
        chart.frame_corners().astype(np.float32), corners.astype(np.float32)
    )
    return ChartView(np.asarray(homography, np.float64), corners, best_area / (width * height))


def _ordered(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Top left, top right, bottom right, bottom left (the chart is held upright)."""
    sums = points.sum(axis=1)
    diffs = points[:, 1] - points[:, 0]
    return np.array(
        [
            points[np.argmin(sums)],
            points[np.argmin(diffs)],
            points[np.argmax(sums)],
            points[np.argmax(diffs)],
        ],
        np.float64,
    )


def read_chart(image: NDArray[np.uint8]) -> ChartReading:
    """Finds the chart and measures the slanted edge and the grey steps; ChartNotFound otherwise."""
    view = find_chart(image)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float64)
    height, width = grey.shape
    x0, y0, x1, y1 = view.box(chart.edge_roi())
    if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
        raise ChartNotFound("the chart's slanted edge is outside the picture")
    try:
        sharpness = mtf50(grey[y0:y1, x0:x1])
    except EdgeNotFound as exc:
        raise ChartNotFound(f"the chart's slanted edge cannot be measured: {exc}") from exc
    steps = []
    for rect, level in zip(chart.step_rects(), chart.GREY_LEVELS, strict=True):
        px0, py0, px1, py1 = view.box(rect.shrunk(0.5))
        patch = image[max(0, py0) : py1, max(0, px0) : px1].reshape(-1, 3).astype(np.float64)
        if patch.size == 0:
            raise ChartNotFound("the chart's grey steps are outside the picture")
        b, g, r = patch.mean(axis=0)
        steps.append(GreyStep(level, (float(b), float(g), float(r))))
    return ChartReading(view, sharpness, tuple(steps))


def draw_overlay(image: NDArray[np.uint8], reading: ChartReading | None) -> NDArray[np.uint8]:
    """A copy of the frame with the chart outline, the measured regions and the figures drawn on it."""
    canvas = image.copy()
    if reading is None:
        cv2.putText(
            canvas, "no chart found", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 255), 2
        )
        return canvas
    view = reading.view
    cv2.polylines(
        canvas, [view.corners.astype(np.int32)], isClosed=True, color=(0, 200, 0), thickness=2
    )
    x0, y0, x1, y1 = view.box(chart.edge_roi())
    cv2.rectangle(canvas, (x0, y0), (x1, y1), (0, 200, 255), 2)
    cv2.putText(
        canvas,
        f"MTF50 {reading.mtf50:.2f} c/px",
        (x0, max(20, y0 - 8)),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.6,
        (0, 200, 255),
        2,
    )
    for rect, _step in zip(chart.step_rects(), reading.steps, strict=True):
        px0, py0, px1, py1 = view.box(rect.shrunk(0.5))
        cv2.rectangle(canvas, (px0, py0), (px1, py1), (255, 120, 0), 2)
    sx0, sy0, _, _ = view.box(chart.step_rects()[0])
    cv2.putText(
        canvas,
        f"grey cast {reading.grey_cast_percent:.1f} %",
        (sx0, max(20, sy0 - 8)),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.6,
        (255, 120, 0),
        2,
    )
    return canvas

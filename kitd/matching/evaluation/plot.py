"""The genuine and impostor score distributions as a PNG, drawn with OpenCV (no plotting library)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

WIDTH, HEIGHT = 900, 480
LEFT, BOTTOM, TOP, RIGHT = 70, 50, 30, 20
# The lowest share of pairs drawn (log scale).
FLOOR = 1e-4
BLACK, GREY = (0, 0, 0), (110, 110, 110)
COLOURS = {"impostor": (60, 60, 220), "genuine": (60, 160, 60)}


def draw_scores(
    genuine: NDArray[np.float64],
    impostor: NDArray[np.float64],
    thresholds: dict[str, float],
    title: str = "",
) -> NDArray[np.uint8]:
    """Both histograms (share of pairs per bin of 0.5, log scale) with the thresholds as lines."""
    canvas = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    highest = max(10.0, float(np.max(genuine, initial=0)), float(np.max(impostor, initial=0)))
    top_score = 10.0 * np.ceil(highest / 10.0)
    bins = np.arange(0.0, top_score + 0.5, 0.5)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - TOP

    def y_of(share: float) -> int:
        level = (np.log10(max(share, FLOOR)) - np.log10(FLOOR)) / -np.log10(FLOOR)
        return int(HEIGHT - BOTTOM - level * plot_h)

    def x_of(score: float) -> int:
        return int(LEFT + score / top_score * plot_w)

    for name, values in (("impostor", impostor), ("genuine", genuine)):
        counts, _ = np.histogram(values, bins)
        shares = counts / max(1, values.size)
        points = [(x_of((bins[i] + bins[i + 1]) / 2), y_of(s)) for i, s in enumerate(shares)]
        cv2.polylines(
            canvas,
            [np.array(points, np.int32)],
            isClosed=False,
            color=COLOURS[name],
            thickness=2,
            lineType=cv2.LINE_AA,
        )
    cv2.rectangle(canvas, (LEFT, TOP), (WIDTH - RIGHT, HEIGHT - BOTTOM), BLACK, 1)
    for exponent in range(5):
        cv2.putText(canvas, f"1e-{exponent}", (8, y_of(10.0**-exponent) + 4), 0, 0.45, BLACK, 1)
    for tick in range(0, int(top_score) + 1, 10):
        cv2.putText(canvas, str(tick), (x_of(tick) - 8, HEIGHT - BOTTOM + 18), 0, 0.45, BLACK)
    # Each threshold line carries a number at its top; the numbers are explained under the legend,
    # so that close thresholds do not write over each other.
    for n, (name, value) in enumerate(thresholds.items(), start=1):
        x = x_of(value)
        cv2.line(canvas, (x, TOP), (x, HEIGHT - BOTTOM), GREY, 1)
        cv2.putText(canvas, str(n), (x + 2, TOP + 14 + 14 * ((n - 1) % 2)), 0, 0.4, GREY)
        label = f"{n}  {name}: {value:.2f}"
        cv2.putText(canvas, label, (WIDTH - RIGHT - 220, TOP + 70 + 18 * n), 0, 0.45, GREY)
    cv2.putText(canvas, "score", (WIDTH // 2, HEIGHT - 12), 0, 0.5, BLACK, 1)
    cv2.putText(canvas, f"share of pairs  {title}", (LEFT + 6, TOP - 10), 0, 0.45, BLACK, 1)
    for n, (name, values) in enumerate((("impostor", impostor), ("genuine", genuine))):
        label = f"{name} ({values.size} pairs)"
        cv2.putText(canvas, label, (WIDTH - RIGHT - 220, TOP + 22 + 20 * n), 0, 0.5, COLOURS[name])
    return canvas


def write_plot(path: Path, canvas: NDArray[np.uint8]) -> None:
    """Write the PNG; OSError when it cannot be written (OpenCV only says False)."""
    ok, encoded = cv2.imencode(".png", canvas)
    if not ok:
        raise OSError(f"{path}: the plot could not be encoded")
    path.write_bytes(encoded.tobytes())

"""A paper document held up to the camera: a page of printed lines, for the kit's document mode.

The page stands in for a doctor's certificate: a white sheet filling most of the frame, a heading, a
block of text lines and a signature scrawl, rendered once per scene (never per frame). Its text is
placeholder print (no real wording or person): what the document checks judge is the print's
sharpness and the paper's glare, not what it says.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

PAPER_BGR = (236, 238, 240)
INK_BGR = (40, 36, 32)
# The page's height as a share of the frame's, and A4's width to height.
PAGE_FRACTION = 0.9
A4_RATIO = 210 / 297


def draw_page(canvas: NDArray[np.float32]) -> None:
    """Draws the page onto `canvas` (BGR float, 0..255), centred."""
    height, width = canvas.shape[:2]
    page_h = int(height * PAGE_FRACTION)
    page_w = int(page_h * A4_RATIO)
    top, left = (height - page_h) // 2, (width - page_w) // 2
    page = np.full((page_h, page_w, 3), PAPER_BGR, np.uint8)
    margin = page_w // 10
    scale = page_h / 900
    cv2.putText(
        page,
        "CERTIFICATE",
        (margin, int(page_h * 0.12)),
        cv2.FONT_HERSHEY_SIMPLEX,
        1.2 * scale,
        INK_BGR,
        max(1, int(2 * scale)),
        cv2.LINE_AA,
    )
    words = ("lorem ipsum dolor sit amet", "consectetur adipiscing elit", "sed do eiusmod tempor")
    y = int(page_h * 0.22)
    line = 0
    while y < page_h * 0.78:
        cv2.putText(
            page,
            words[line % len(words)],
            (margin, y),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.55 * scale,
            INK_BGR,
            max(1, int(scale)),
            cv2.LINE_AA,
        )
        y += int(30 * scale)
        line += 1
    xs = np.linspace(margin, page_w * 0.55, 40)
    ys = page_h * 0.86 + 12 * scale * np.sin(xs / (9 * scale))
    points = np.stack([xs, ys], axis=1).astype(np.int32)
    cv2.polylines(
        page,
        [points],
        isClosed=False,
        color=INK_BGR,
        thickness=max(1, int(2 * scale)),
        lineType=cv2.LINE_AA,
    )
    canvas[top : top + page_h, left : left + page_w] = page.astype(np.float32)

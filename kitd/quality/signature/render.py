"""Renders the signature image from the pen stream: pressure-weighted ink, cropped to the ink, fixed size.

The output is an 8-bit grey image, white background, black ink, the ink scaled uniformly to fit the
image with a margin and centred. Only pen-down segments are drawn.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.signature.strokes import Ink

# Sub-pixel precision for cv2.line: coordinates are fixed-point with this many fraction bits.
_SHIFT = 4


def render_signature(
    ink: Ink, width: int = 900, height: int = 300, margin: float = 0.06
) -> NDArray[np.uint8]:
    """The ink drawn black on white, fitted into `width` x `height` with a margin."""
    image = np.full((height, width), 255, dtype=np.uint8)
    if ink.ink_samples == 0:
        return image
    xs, ys = ink.x[ink.tip], ink.y[ink.tip]
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    inner_w, inner_h = width * (1 - 2 * margin), height * (1 - 2 * margin)
    scale = min(inner_w / max(x1 - x0, 1.0), inner_h / max(y1 - y0, 1.0))
    # A very small signature is not blown up beyond 3 output pixels per device unit.
    scale = min(scale, 3.0)
    off_x = (width - (x1 - x0) * scale) / 2 - x0 * scale
    off_y = (height - (y1 - y0) * scale) / 2 - y0 * scale
    px = np.round((ink.x * scale + off_x) * (1 << _SHIFT)).astype(np.int64)
    py = np.round((ink.y * scale + off_y) * (1 << _SHIFT)).astype(np.int64)
    # Stroke width follows pressure: 1 px at a touch, up to ~1/80 of the height at full pressure.
    max_width = max(2.0, height / 80.0)
    widths = np.clip(np.round(1.0 + ink.pressure * (max_width - 1.0)), 1, None).astype(int)
    for start, stop in ink.strokes:
        if stop - start == 1:
            cv2.circle(
                image, (int(px[start]), int(py[start])), int(widths[start]) << _SHIFT >> 1, 0,
                -1, cv2.LINE_AA, _SHIFT,
            )  # fmt: skip
            continue
        for i in range(start + 1, stop):
            cv2.line(
                image,
                (int(px[i - 1]), int(py[i - 1])),
                (int(px[i]), int(py[i])),
                0,
                int(widths[i]),
                cv2.LINE_AA,
                _SHIFT,
            )
    return image


def encode_png(image: NDArray[np.uint8]) -> bytes:
    """A grey image as PNG bytes."""
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise ValueError("PNG encoding of the signature image failed")
    return bytes(data.tobytes())

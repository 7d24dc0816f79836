"""The reader's own cheap frame score (0..100) that drives auto-capture, as a sensor MCU would compute it.

Blocks of 20 x 20 px count as finger when they are darker than the empty glass and textured; the score is
the covered share of a nominal fingertip area times the ridge contrast of the covered blocks (measured on
a 3 x 3 box-filtered frame, which keeps ridges and drops pixel noise), lowered by the pixel noise itself
(what the box filter removed). It is not
the daemon's NFIQ 2-style quality (which judges the final image); it only has to rise with contact and
clarity and cost about a millisecond. This module must never import the daemon (kitd, hal).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

BLOCK = 20
# A flat fingertip covers about half of the 400 x 500 window.
NOMINAL_COVERAGE = 0.45
# Standard deviation of a block with crisp, full-contrast ridges.
FULL_CONTRAST = 70.0
GLASS_LEVEL = 215.0
MIN_TEXTURE = 10.0
# Pixel noise (grey levels) a clean sensor shows, and the excess over it that zeroes the score.
CLEAN_NOISE = 3.0
NOISE_SPAN = 15.0


@dataclass(frozen=True)
class FrameScore:
    """A simulated frame's quality and how much of the finger touches the glass."""

    quality: int
    contact_percent: int


def _blocks(image: NDArray[np.float32]) -> NDArray[np.float32]:
    height, width = image.shape
    rows, cols = height // BLOCK, width // BLOCK
    return (
        image[: rows * BLOCK, : cols * BLOCK]
        .reshape(rows, BLOCK, cols, BLOCK)
        .swapaxes(1, 2)
        .reshape(rows, cols, BLOCK * BLOCK)
    )


def score_frame(frame: NDArray[np.uint8]) -> FrameScore:
    """The frame's auto-capture score (0..100) and the share of the window the finger covers."""
    grey = frame.astype(np.float32)
    smooth = np.asarray(cv2.blur(grey, (3, 3)), np.float32)
    blocks = _blocks(smooth)
    means = blocks.mean(axis=2)
    stds = blocks.std(axis=2)
    finger = (means < GLASS_LEVEL) & (stds > MIN_TEXTURE)
    covered = float(finger.mean())
    if not finger.any():
        return FrameScore(0, 0)
    contrast = float(np.median(stds[finger])) / FULL_CONTRAST
    noise = float(np.median(_blocks(grey - smooth).std(axis=2)))
    cleanliness = min(1.0, max(0.0, 1.0 - (noise - CLEAN_NOISE) / NOISE_SPAN))
    quality = 100.0 * min(1.0, covered / NOMINAL_COVERAGE) * min(1.0, contrast) * cleanliness
    return FrameScore(round(quality), round(100 * covered))

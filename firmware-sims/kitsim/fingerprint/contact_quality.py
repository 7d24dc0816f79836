"""The reader's own cheap frame score (0..100) that drives auto-capture, as a sensor MCU would compute it.

Blocks of 20 x 20 px count as finger when they are darker than the empty glass and textured; the score is
the covered share of a nominal fingertip area times the ridge contrast of the covered blocks. It is not
the daemon's NFIQ 2-style quality (which judges the final image); it only has to rise with contact and
clarity and cost well under a millisecond. This module must never import the daemon (kitd, hal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BLOCK = 20
# A flat fingertip covers about half of the 400 x 500 window.
NOMINAL_COVERAGE = 0.45
# Standard deviation of a block with crisp, full-contrast ridges.
FULL_CONTRAST = 70.0
GLASS_LEVEL = 215.0
MIN_TEXTURE = 10.0


@dataclass(frozen=True)
class FrameScore:
    quality: int
    contact_percent: int


def score_frame(frame: NDArray[np.uint8]) -> FrameScore:
    height, width = frame.shape
    rows, cols = height // BLOCK, width // BLOCK
    blocks = (
        frame[: rows * BLOCK, : cols * BLOCK]
        .reshape(rows, BLOCK, cols, BLOCK)
        .swapaxes(1, 2)
        .reshape(rows, cols, BLOCK * BLOCK)
        .astype(np.float32)
    )
    means = blocks.mean(axis=2)
    stds = blocks.std(axis=2)
    finger = (means < GLASS_LEVEL) & (stds > MIN_TEXTURE)
    covered = float(finger.mean())
    if not finger.any():
        return FrameScore(0, 0)
    contrast = float(np.median(stds[finger])) / FULL_CONTRAST
    quality = 100.0 * min(1.0, covered / NOMINAL_COVERAGE) * min(1.0, contrast)
    return FrameScore(round(quality), round(100 * covered))

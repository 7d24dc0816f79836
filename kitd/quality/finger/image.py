"""Checks a fingerprint image is one the NFIQ 2 measures are defined on, and trims its near-white margins.

NFIQ 2 (ISO/IEC 29794-4) works on 8-bit grey images at 500 ppi, after removing every row and column at the
edges whose mean grey level is above 250: the platen around the finger must not dilute the statistics.
This module never changes pixel values and never keeps or writes the image anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.finger.errors import FingerprintImageError

SUPPORTED_PPI = 500
# A scanner that reports 499.999 dpi (PNG stores pixels per metre) is a 500 ppi scanner.
PPI_TOLERANCE = 5
# Rows and columns at the edges brighter than this on average are platen, not finger.
NEAR_WHITE_MEAN = 250.0
# Two 32 x 32 blocks each way: below this no block measure is defined.
MIN_SIDE = 64
# NFIQ 2's minutiae extractor refuses trimmed images larger than this (a single flat finger fits easily).
MAX_TRIMMED_WIDTH = 800
MAX_TRIMMED_HEIGHT = 1000


@dataclass(frozen=True)
class Trimmed:
    """The image with its near-white margins removed.

    `blank` when no finger-sized area is left: no row or column darker than 250 on average, or less than
    two blocks each way.
    """

    pixels: NDArray[np.uint8]
    top: int
    left: int
    blank: bool


def grey_statistics(pixels: NDArray[np.uint8]) -> tuple[float, float]:
    """Mean and (population) standard deviation of the grey levels."""
    mean, std = cv2.meanStdDev(pixels)
    return float(mean[0, 0]), float(std[0, 0])


def validate(pixels: NDArray[np.generic], ppi: int) -> NDArray[np.uint8]:
    """Return the image as a C-contiguous 2-D uint8 array, or raise FingerprintImageError saying what is wrong."""
    if abs(ppi - SUPPORTED_PPI) > PPI_TOLERANCE:
        raise FingerprintImageError(
            f"unsupported resolution {ppi} ppi: NFIQ 2 quality is defined at {SUPPORTED_PPI} ppi only"
        )
    array = np.asarray(pixels)
    if array.dtype != np.uint8:
        raise FingerprintImageError(
            f"unsupported pixel type {array.dtype}: expected 8-bit grey (uint8) pixels"
        )
    if array.ndim != 2:
        raise FingerprintImageError(
            f"unsupported image shape {array.shape}: expected one grey channel (height x width)"
        )
    height, width = array.shape
    if height < MIN_SIDE or width < MIN_SIDE:
        raise FingerprintImageError(
            f"image too small ({width} x {height} px): at least {MIN_SIDE} x {MIN_SIDE} px are needed"
        )
    return np.ascontiguousarray(array)


def trim_near_white(pixels: NDArray[np.uint8]) -> Trimmed:
    """Remove the consecutive edge rows and columns whose mean grey level is above 250."""
    dark_rows = np.flatnonzero(pixels.mean(axis=1) <= NEAR_WHITE_MEAN)
    dark_cols = np.flatnonzero(pixels.mean(axis=0) <= NEAR_WHITE_MEAN)
    if dark_rows.size == 0 or dark_cols.size == 0:
        return Trimmed(pixels=pixels, top=0, left=0, blank=True)
    top, bottom = int(dark_rows[0]), int(dark_rows[-1])
    left, right = int(dark_cols[0]), int(dark_cols[-1])
    if bottom <= top or right <= left:
        return Trimmed(pixels=pixels, top=0, left=0, blank=True)
    trimmed = np.ascontiguousarray(pixels[top : bottom + 1, left : right + 1])
    height, width = trimmed.shape
    if height < MIN_SIDE or width < MIN_SIDE:
        return Trimmed(pixels=trimmed, top=top, left=left, blank=True)
    if width > MAX_TRIMMED_WIDTH or height > MAX_TRIMMED_HEIGHT:
        raise FingerprintImageError(
            f"fingerprint area too large ({width} x {height} px after trimming white margins): "
            f"at most {MAX_TRIMMED_WIDTH} x {MAX_TRIMMED_HEIGHT} px, a single flat finger"
        )
    return Trimmed(pixels=trimmed, top=top, left=left, blank=False)

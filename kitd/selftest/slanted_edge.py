"""Slanted-edge sharpness (the ISO 12233 method, simplified): MTF50 of one near-vertical edge.

Pure numpy: a grey region containing one straight edge, slightly turned, goes in; the spatial frequency
(cycles per pixel) at which the edge's contrast falls to half comes out. A sharp camera reaches about
0.3, a defocused one 0.1 or less.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# Oversampling of the edge spread function (bins per pixel), as in ISO 12233.
OVERSAMPLE = 4


class EdgeNotFound(ValueError):
    """The region holds no usable edge (too small, no contrast, not straight)."""


def mtf50(region: NDArray[np.floating] | NDArray[np.uint8]) -> float:
    """MTF50 in cycles per pixel of the near-vertical edge in `region` (rows x columns)."""
    grey = np.asarray(region, np.float64)
    rows, cols = grey.shape
    if rows < 12 or cols < 10:
        raise EdgeNotFound(f"the edge region is too small ({cols} x {rows} px)")
    contrast = float(np.percentile(grey, 95) - np.percentile(grey, 5))
    if contrast < 20:
        raise EdgeNotFound(f"the edge has too little contrast ({contrast:.0f} grey levels)")
    # Edge position per row: centroid of the absolute horizontal derivative.
    derivative = np.abs(np.diff(grey, axis=1))
    weights = derivative.sum(axis=1)
    if np.any(weights <= 0):
        raise EdgeNotFound("some rows of the edge region are flat")
    centres = (derivative * (np.arange(cols - 1) + 0.5)).sum(axis=1) / weights
    y = np.arange(rows, dtype=np.float64)
    slope, intercept = np.polyfit(y, centres, 1)
    residual = centres - (slope * y + intercept)
    if float(np.std(residual)) > 2.0:
        raise EdgeNotFound("the edge is not straight")
    # Signed distance of every pixel from the edge, measured across it.
    xs = np.arange(cols, dtype=np.float64)[None, :]
    cos_theta = 1.0 / np.sqrt(1.0 + slope * slope)
    distance = (xs - (slope * y[:, None] + intercept)) * cos_theta
    bins = np.floor(distance * OVERSAMPLE).astype(np.int64).ravel()
    bins -= bins.min()
    counts = np.bincount(bins)
    sums = np.bincount(bins, weights=grey.ravel())
    filled = counts > 0
    if filled.sum() < 8 * OVERSAMPLE:
        raise EdgeNotFound("the edge region is too narrow")
    positions = np.nonzero(filled)[0]
    esf = np.interp(np.arange(counts.size), positions, sums[filled] / counts[filled])
    # Keep the well-sampled middle: the outermost bins have few pixels.
    lsf = np.diff(esf)
    if abs(float(lsf.min())) > abs(float(lsf.max())):
        lsf = -lsf
    peak = int(np.argmax(lsf))
    window = np.hamming(lsf.size)
    shift = peak - lsf.size // 2
    lsf = lsf * np.roll(window, shift)
    spectrum = np.abs(np.fft.rfft(lsf))
    if spectrum[0] <= 0:
        raise EdgeNotFound("the edge has no contrast")
    mtf = spectrum / spectrum[0]
    frequencies = np.fft.rfftfreq(lsf.size, d=1.0 / OVERSAMPLE)
    below = np.nonzero(mtf < 0.5)[0]
    if below.size == 0:
        return float(frequencies[-1])
    k = int(below[0])
    if k == 0:
        return 0.0
    # Linear interpolation between the last sample above and the first below one half.
    f0, f1, m0, m1 = frequencies[k - 1], frequencies[k], mtf[k - 1], mtf[k]
    return float(f0 + (m0 - 0.5) * (f1 - f0) / (m0 - m1))

"""Ridge-valley structure measures of ISO/IEC 29794-4 on ridge-aligned block regions: FDA, LCS and RVUP.

Each foreground block's 36 x 36 window is rotated so the ridges run along one axis, a 32 x 16 region is cut
from its centre and averaged along the ridges into a 32-sample grey profile across them:

* FDA (frequency domain analysis): how strongly the profile's spectrum peaks at one ridge frequency;
* LCS (local clarity): how cleanly a straight-line threshold separates ridge from valley pixels, when
  ridge and valley widths are plausible for 500 ppi;
* RVUP (ridge-valley uniformity): ratios of consecutive ridge and valley widths.

Pure functions from an image and its block grid to per-block values; they never decide pass or fail.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.typing import NDArray

from kitd.quality.finger.blocks import SlantedBlocks, rotated_region

Floats = NDArray[np.float64]

# Rows 2..33 and columns 10..25 of a rotated window: 32 samples across the ridges, 16 along them.
_LONG = slice(2, 34)
_SHORT = slice(10, 26)
# Ridge and valley widths (px at 500 ppi) outside which a block's local clarity is 0.
_RIDGE_WIDTH = (3.0, 10.0)
_VALLEY_WIDTH = (2.0, 10.0)


def _trend(profiles: Floats) -> Floats:
    """The least-squares straight line through each profile, evaluated at each sample."""
    n = profiles.shape[1]
    x = np.arange(1, n + 1, dtype=np.float64)
    centred = x - x.mean()
    slope = (profiles - profiles.mean(axis=1, keepdims=True)) @ centred / (centred @ centred)
    intercept = profiles.mean(axis=1) - slope * x.mean()
    # Rounded like the reference so a value on the line does not flip with floating-point noise.
    slope = np.round(slope * 1e10) / 1e10
    intercept = np.round(intercept * 1e10) / 1e10
    return np.asarray(intercept[:, None] + slope[:, None] * x[None, :], dtype=np.float64)


def profile_spectra(image: NDArray[np.uint8], grid: SlantedBlocks) -> Floats:
    """Amplitude spectrum (harmonics 1..31 of 32 px) of each foreground block's cross-ridge profile.

    Harmonic k is a ridge period of 32 / k px: a 500 ppi print peaks near k = 3 or 4.
    """
    selected = np.flatnonzero(grid.foreground)
    angles = grid.orientation[selected] + math.pi / 2
    region = rotated_region(image, grid, selected, angles, padded=True, region=(_LONG, _SHORT))
    profiles = region.mean(axis=2, dtype=np.float64)
    return np.asarray(np.abs(np.fft.fft(profiles, axis=1))[:, 1:], dtype=np.float64)


def fda(image: NDArray[np.uint8], grid: SlantedBlocks) -> Floats:
    """Frequency domain analysis of each foreground block: dominant-peak share of the profile spectrum."""
    selected = np.flatnonzero(grid.foreground)
    if selected.size == 0:
        return np.zeros(0)
    amplitude = profile_spectra(image, grid)
    peak = np.argmax(amplitude, axis=1)
    count = amplitude.shape[1]
    index = np.arange(selected.size)
    left = amplitude[index, np.clip(peak - 1, 0, count - 1)]
    right = amplitude[index, np.clip(peak + 1, 0, count - 1)]
    denominator = amplitude[:, : count // 2].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (amplitude[index, peak] + 0.3 * (left + right)) / denominator
    # A peak at the lowest or highest frequency is no ridge frequency at all: the worst value, 1.
    edge = (peak == 0) | (peak + 1 >= count) | ~np.isfinite(value)
    return np.asarray(np.where(edge, 1.0, value), dtype=np.float64)


def _runs(ridge: list[bool], last: int) -> list[int]:
    """Positions k < last where the ridge/valley label changes between samples k and k + 1."""
    return [k for k in range(last) if ridge[k] != ridge[k + 1]]


def lcs(image: NDArray[np.uint8], grid: SlantedBlocks) -> Floats:
    """Local clarity of each foreground block (1 best, 0 worst)."""
    selected = np.flatnonzero(grid.foreground)
    if selected.size == 0:
        return np.zeros(0)
    angles = grid.orientation[selected]
    regions = rotated_region(image, grid, selected, angles, padded=False, region=(_SHORT, _LONG))
    profiles = regions.mean(axis=1, dtype=np.float64)
    trend = _trend(profiles)
    is_ridge = profiles < trend
    # Misclassified pixels: bright pixels in ridge columns, dark pixels in valley columns.
    bright = regions >= trend[:, None, :]
    ridge_miss = (bright & is_ridge[:, None, :]).sum(axis=(1, 2))
    valley_miss = (~bright & ~is_ridge[:, None, :]).sum(axis=(1, 2))
    rows = regions.shape[1]
    ridge_pixels = is_ridge.sum(axis=1) * rows
    valley_pixels = (~is_ridge).sum(axis=1) * rows
    values = np.zeros(selected.size)
    for i, labels in enumerate(is_ridge.tolist()):
        changes = _runs(labels, len(labels) - 1)
        if not changes:
            continue
        widths = [changes[0]] + [b - a for a, b in itertools.pairwise(changes)]
        first, second = widths[0::2], widths[1::2]
        ridges, valleys = (first, second) if labels[0] else (second, first)
        ridge_width = sum(ridges) / len(ridges) if ridges else 0.0
        valley_width = sum(valleys) / len(valleys) if valleys else 0.0
        if not (_RIDGE_WIDTH[0] <= ridge_width <= _RIDGE_WIDTH[1]):
            continue
        if not (_VALLEY_WIDTH[0] <= valley_width <= _VALLEY_WIDTH[1]):
            continue
        alpha = valley_miss[i] / valley_pixels[i] if valley_pixels[i] else 0.0
        beta = ridge_miss[i] / ridge_pixels[i] if ridge_pixels[i] else 0.0
        values[i] = 1.0 - (alpha + beta) / 2.0
    return values


def rvup(image: NDArray[np.uint8], grid: SlantedBlocks) -> Floats:
    """Ridge-valley width ratios of all foreground blocks, pooled (about 1 for an even print)."""
    selected = np.flatnonzero(grid.foreground)
    if selected.size == 0:
        return np.zeros(0)
    angles = grid.orientation[selected]
    region = rotated_region(image, grid, selected, angles, padded=True, region=(_SHORT, _LONG))
    profiles = region.mean(axis=1, dtype=np.float64)
    is_ridge = profiles < _trend(profiles)
    ratios: list[float] = []
    for labels in is_ridge.tolist():
        # Only runs between the first and the last change are complete ridges or valleys.
        changes = _runs(labels, len(labels) - 2)
        if len(changes) < 3 or changes[0] + 1 >= changes[-1]:
            continue
        starts_with_ridge = labels[changes[0] + 1]
        # Widths of the complete runs after the first one, last first (the reference's order).
        inner = changes[1:]
        widths = [b - a for a, b in itertools.pairwise(inner)][::-1]
        block = [widths[m] / widths[m + 1] for m in range(len(widths) - 1)]
        for m in range(int(starts_with_ridge), len(block), 2):
            block[m] = 1.0 / block[m]
        ratios.extend(block)
    return np.asarray(ratios, dtype=np.float64)

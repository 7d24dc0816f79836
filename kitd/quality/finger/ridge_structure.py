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

import math

import numpy as np
from numpy.typing import NDArray

from kitd.quality.finger.blocks import SlantedBlocks, rotated_region

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

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
    region = rotated_region(grid, selected, angles, padded=True, region=(_LONG, _SHORT))
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


def _change_widths(labels: Bools) -> tuple[Bools, NDArray[np.intp], NDArray[np.intp]]:
    """Where the ridge/valley label changes between samples k and k + 1, the change's running index
    in its row, and the width it closes (k minus the previous change's k; the first change's own k).
    """
    changed = labels[:, :-1] != labels[:, 1:]
    position = np.arange(changed.shape[1])[None, :]
    index = np.cumsum(changed, axis=1) - 1
    latest = np.maximum.accumulate(np.where(changed, position, 0), axis=1)
    previous = np.pad(latest[:, :-1], ((0, 0), (1, 0)))
    return changed, index, position - previous


def lcs(image: NDArray[np.uint8], grid: SlantedBlocks) -> Floats:
    """Local clarity of each foreground block (1 best, 0 worst)."""
    selected = np.flatnonzero(grid.foreground)
    if selected.size == 0:
        return np.zeros(0)
    angles = grid.orientation[selected]
    regions = rotated_region(grid, selected, angles, padded=False, region=(_SHORT, _LONG))
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
    # Mean ridge and valley widths from the runs closed by each change: runs alternate, the first one
    # being a ridge when the profile starts on a ridge. The run after the last change is not counted.
    changed, index, width = _change_widths(is_ridge)
    even = changed & (index % 2 == 0)
    odd = changed & (index % 2 == 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        even_mean = np.where(even.any(1), (width * even).sum(1) / even.sum(1), 0.0)
        odd_mean = np.where(odd.any(1), (width * odd).sum(1) / odd.sum(1), 0.0)
        alpha = valley_miss / valley_pixels
        beta = ridge_miss / ridge_pixels
    starts_on_ridge = is_ridge[:, 0]
    ridge_width = np.where(starts_on_ridge, even_mean, odd_mean)
    valley_width = np.where(starts_on_ridge, odd_mean, even_mean)
    plausible = (
        changed.any(1)
        & (ridge_width >= _RIDGE_WIDTH[0])
        & (ridge_width <= _RIDGE_WIDTH[1])
        & (valley_width >= _VALLEY_WIDTH[0])
        & (valley_width <= _VALLEY_WIDTH[1])
    )
    return np.asarray(np.where(plausible, 1.0 - (alpha + beta) / 2.0, 0.0), dtype=np.float64)


def rvup(image: NDArray[np.uint8], grid: SlantedBlocks) -> Floats:
    """Ridge-valley width ratios of all foreground blocks, pooled (about 1 for an even print)."""
    selected = np.flatnonzero(grid.foreground)
    if selected.size == 0:
        return np.zeros(0)
    angles = grid.orientation[selected]
    region = rotated_region(grid, selected, angles, padded=True, region=(_SHORT, _LONG))
    profiles = region.mean(axis=1, dtype=np.float64)
    is_ridge = profiles < _trend(profiles)
    # Changes between samples k and k + 1 for k up to n - 3, packed to the left of each row in order.
    changed = is_ridge[:, :-2] != is_ridge[:, 1:-1]
    count = changed.sum(axis=1)
    order = np.argsort(~changed, axis=1, kind="stable")
    position = np.take_along_axis(
        np.broadcast_to(np.arange(changed.shape[1]), changed.shape), order, 1
    )
    # widths[:, t]: the run between changes t and t + 1. Runs before the first change and after the
    # last are incomplete; the first complete run (t = 0) is not used either (the reference's choice).
    widths = np.diff(position, axis=1).astype(np.float64)
    # Ratios of each complete run t (2 <= t <= count - 2) to the one before it; the reference walks them
    # last first and inverts every other one, starting with the last when the first complete run is a
    # valley: run t is inverted when (count - t) has the parity of "first complete run is a ridge".
    t = np.arange(1, widths.shape[1])[None, :]
    ratios = widths[:, 1:] / widths[:, :-1]
    used = (t >= 2) & (t <= count[:, None] - 2)
    rows = np.arange(len(count))
    first_complete = is_ridge[rows, np.minimum(position[:, 0] + 1, is_ridge.shape[1] - 1)]
    inverted = (count[:, None] - t) % 2 == first_complete[:, None].astype(int)
    ratios = np.where(inverted, 1.0 / ratios, ratios)
    return np.asarray(ratios[used], dtype=np.float64)

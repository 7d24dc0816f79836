"""Master prints: the ridge pattern of one finger of one simulated person, SFinGe-style.

A finger identity (person, finger position) seeds everything: the pattern class and its singular points
(cores and deltas), the orientation field they induce (Sherlock-Monro zero-pole model), a smooth ridge
frequency map around 1/9.5 px (500 ppi), and the ridge pattern grown from random seeds by iterated
oriented Gabor filtering. Masters are cached: a placement only re-renders (impression.py). This module
must never import the daemon (kitd, hal).
"""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

# Larger than the 400 x 500 sensor window so that placements can move and rotate the finger.
CANVAS_W = 520
CANVAS_H = 640
ORIENTATION_BINS = 16
GROWTH_ITERATIONS = 7
# Ridge periods at 500 ppi: a 9.5 px mean (0.48 mm), varying smoothly across the finger.
PERIOD_LEVELS = (8.8, 10.2)


class PatternClass(enum.StrEnum):
    """A print's pattern class, arch to whorl."""

    ARCH = "arch"
    TENTED_ARCH = "tented_arch"
    LEFT_LOOP = "left_loop"
    RIGHT_LOOP = "right_loop"
    WHORL = "whorl"


# Rough population shares of the classes (loops dominate, arches are rare).
CLASS_WEIGHTS = {
    PatternClass.ARCH: 0.04,
    PatternClass.TENTED_ARCH: 0.06,
    PatternClass.LEFT_LOOP: 0.33,
    PatternClass.RIGHT_LOOP: 0.30,
    PatternClass.WHORL: 0.27,
}


@dataclass(frozen=True)
class MasterPrint:
    """A synthetic finger's ridge pattern, before any impression is rendered from it."""

    identity: str
    finger: int
    pattern: PatternClass
    # Ridge pattern in -1..1 (+1 on a ridge), CANVAS_H x CANVAS_W.
    ridges: NDArray[np.float32]
    # Normalised elliptic radius of the fingertip contact (1.0 = edge at nominal pressure).
    contact_radius: NDArray[np.float32]
    orientation: NDArray[np.float32]
    period: NDArray[np.float32]


def finger_seed(identity: str, finger: int) -> int:
    """The random seed of one finger of one simulated person, the same on every run."""
    digest = hashlib.sha256(f"{identity}/{finger}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _singular_points(
    pattern: PatternClass, rng: np.random.Generator, cx: float, cy: float
) -> tuple[list[complex], list[complex]]:
    def jitter(spread: float) -> complex:
        return complex(rng.normal(0, spread), rng.normal(0, spread))

    if pattern is PatternClass.ARCH:
        # A core/delta pair far below the window flattens into a plain arch inside it.
        return [complex(cx, cy + 420) + jitter(60)], [complex(cx, cy + 520) + jitter(60)]
    if pattern is PatternClass.TENTED_ARCH:
        core = complex(cx, cy + 10) + jitter(40)
        return [core], [core + complex(rng.normal(0, 25), 95 + rng.normal(0, 25))]
    if pattern is PatternClass.WHORL:
        top = complex(cx, cy - 30) + jitter(35)
        bottom = top + complex(rng.normal(0, 25), 40 + rng.normal(0, 15))
        left = complex(cx - 150, cy + 150) + jitter(50)
        right = complex(cx + 150, cy + 150) + jitter(50)
        return [top, bottom], [left, right]
    side = -1.0 if pattern is PatternClass.LEFT_LOOP else 1.0
    core = complex(cx - side * 25, cy - 40) + jitter(40)
    # People's loops differ most in where the delta sits: how far from the core and at which angle.
    reach = 190.0 + rng.normal(0, 40)
    bearing = np.deg2rad(45.0 + rng.normal(0, 15))
    delta = core + complex(side * reach * np.cos(bearing), reach * np.sin(bearing))
    return [core], [delta]


def orientation_field(
    cores: list[complex], deltas: list[complex], height: int, width: int
) -> NDArray[np.float32]:
    """Ridge direction (radians, modulo pi) at every pixel, Sherlock-Monro zero-pole model."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    theta = np.zeros((height, width), np.float32)
    for core in cores:
        theta += 0.5 * np.arctan2(y - np.float32(core.imag), x - np.float32(core.real))
    for delta in deltas:
        theta -= 0.5 * np.arctan2(y - np.float32(delta.imag), x - np.float32(delta.real))
    return np.asarray(np.mod(theta, np.pi), np.float32)


def _smooth_noise(
    rng: np.random.Generator, height: int, width: int, cells: int
) -> NDArray[np.float32]:
    """Smooth random field in -1..1: a coarse grid of random values, upscaled cubically."""
    coarse = rng.uniform(-1, 1, (cells, max(2, cells * width // height))).astype(np.float32)
    field = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.asarray(np.clip(field, -1, 1), np.float32)


@functools.lru_cache(maxsize=4)
def _gabor_bank(period: float) -> tuple[NDArray[np.float32], ...]:
    kernels = []
    sigma = 0.45 * period
    size = int(2 * round(2.2 * sigma) + 1)
    for b in range(ORIENTATION_BINS):
        ridge_direction = np.pi * b / ORIENTATION_BINS
        # getGaborKernel's theta is the direction across the stripes: the ridge normal.
        kernel = cv2.getGaborKernel(
            (size, size), sigma, ridge_direction + np.pi / 2, period, 1.0, 0, cv2.CV_32F
        )
        kernel -= kernel.mean()
        kernels.append(np.asarray(kernel / np.abs(kernel).sum(), np.float32))
    return tuple(kernels)


def grow_ridges(
    orientation: NDArray[np.float32],
    period: NDArray[np.float32],
    rng: np.random.Generator,
    iterations: int = GROWTH_ITERATIONS,
) -> NDArray[np.float32]:
    """Grows a ridge pattern from sparse random seeds, each pixel filtered along its own flow."""
    height, width = orientation.shape
    # Each pixel blends the two nearest orientation bins and the two period levels, so the pattern
    # has no seams where the quantised filter choice changes.
    position = orientation / np.float32(np.pi / ORIENTATION_BINS)
    lower = np.floor(position).astype(np.int32)
    upper_weight = (position - lower).astype(np.float32)
    low, high = PERIOD_LEVELS
    period_weight = np.clip((period - low) / (high - low), 0, 1).astype(np.float32)
    weights: list[list[NDArray[np.float32]]] = []
    for level_weight in (1 - period_weight, period_weight):
        per_bin = []
        for b in range(ORIENTATION_BINS):
            w = np.where(lower % ORIENTATION_BINS == b, 1 - upper_weight, 0)
            w += np.where((lower + 1) % ORIENTATION_BINS == b, upper_weight, 0)
            per_bin.append(np.asarray(w * level_weight, np.float32))
        weights.append(per_bin)
    image = np.zeros((height, width), np.float32)
    seeds = rng.random((height, width)) < 0.002
    image[seeds] = rng.choice(np.array([-1.0, 1.0], np.float32), int(seeds.sum()))
    for _ in range(iterations):
        grown = np.zeros_like(image)
        for level, level_period in enumerate(PERIOD_LEVELS):
            for b, kernel in enumerate(_gabor_bank(level_period)):
                response = cv2.filter2D(image, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)
                grown += weights[level][b] * response
        # Normalise then saturate: ridges reach full amplitude and sharpen with each pass.
        scale = float(np.percentile(np.abs(grown), 90)) or 1.0
        image = np.tanh(2.5 * grown / scale).astype(np.float32)
    return image


@functools.lru_cache(maxsize=32)
def master_print(identity: str, finger: int) -> MasterPrint:
    """The master print of `finger` (ISO position 1..10) of the person `identity`; cached."""
    rng = np.random.default_rng(finger_seed(identity, finger))
    classes = list(CLASS_WEIGHTS)
    weights = np.array([CLASS_WEIGHTS[c] for c in classes])
    pattern = classes[int(rng.choice(len(classes), p=weights / weights.sum()))]
    cx, cy = CANVAS_W / 2 + rng.normal(0, 10), CANVAS_H / 2 + rng.normal(0, 12)
    cores, deltas = _singular_points(pattern, rng, cx, cy)
    orientation = orientation_field(cores, deltas, CANVAS_H, CANVAS_W)
    # A random warp of the flow (up to 17 degrees, over a quarter of the finger) keeps two fingers of
    # one class from looking alike: their ridge flows then agree about as much as two people's do
    # (docs/matching.md, the simulator's prints).
    orientation = np.mod(
        orientation + 0.3 * _smooth_noise(rng, CANVAS_H, CANVAS_W, 4), np.pi
    ).astype(np.float32)
    mean_period = 9.5 + rng.normal(0, 0.15)
    period = (mean_period + 0.9 * _smooth_noise(rng, CANVAS_H, CANVAS_W, 3)).astype(np.float32)
    ridges = grow_ridges(orientation, period, rng)
    y, x = np.mgrid[0:CANVAS_H, 0:CANVAS_W].astype(np.float32)
    semi_x = 150.0 + rng.normal(0, 8)
    semi_y = 215.0 + rng.normal(0, 10)
    # The contact patch of a flat fingertip: elliptic, its centre a little below the core.
    radius = np.sqrt(((x - cx) / semi_x) ** 2 + ((y - cy - 25) / semi_y) ** 2).astype(np.float32)
    return MasterPrint(identity, finger, pattern, ridges, radius, orientation, period)

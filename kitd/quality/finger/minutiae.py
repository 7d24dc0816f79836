"""Our own minutiae extractor, for the minutiae-based NFIQ 2 measures (counts and minutia quality).

Steps, at half resolution: ridge enhancement (a second derivative of a Gaussian steered across the local ridge orientation,
which responds to dark ridge centres and ignores grey-level trends), binarisation by its sign inside the
finger area, Zhang-Suen thinning, crossing numbers on the skeleton (1: ridge ending, 3: bifurcation), then
removal of false minutiae: those near the edge of the finger area, and pairs closer than a ridge period
(breaks, spurs, bridges and specks of noise leave such pairs).

It only locates minutiae for quality statistics; it is not a matcher's extractor and must never be used to
build templates. Pure function of the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Bools = NDArray[np.bool_]

# Extraction runs at half resolution (250 ppi): ridges of 7-12 px are still 3.5-6 px apart, enough to
# locate endings and bifurcations, and every step then touches a quarter of the pixels. Sizes below are
# in half-resolution pixels.
SCALE = 2
# Smoothing of the ridge orientation field; a few ridge periods.
ORIENTATION_SIGMA = 2.5
# Scale of the ridge detector, chosen on the labelled set (rank agreement with NFIQ 2's counts).
RIDGE_SIGMA = 0.7
# Minutiae closer than this to the edge of the finger area are where ridges are cut, not minutiae.
BORDER_MARGIN = 7.0
# Two minutiae closer than this (each way) are a break, a spur or a bridge: 6 px at 500 ppi.
PAIR_DISTANCE = 3.0
# NFIQ 2's extractor reports at most this many minutiae.
MAX_MINUTIAE = 255
_MAX_THINNING_PASSES = 20

# Weight of each 8-neighbour in the neighbourhood code, clockwise from north (P2 .. P9 in Zhang-Suen).
_WEIGHTS = np.array([[128, 1, 2], [64, 0, 4], [32, 16, 8]], dtype=np.float32)
# The orientation field is smooth, so it is smoothed at a further half of the resolution.
_FIELD_SCALE = 2


@dataclass(frozen=True)
class Minutiae:
    """Minutiae found in a print: positions and whether each is a bifurcation."""

    x: NDArray[np.intp]
    y: NDArray[np.intp]
    bifurcation: Bools

    @property
    def count(self) -> int:
        return int(self.x.size)


def _neighbour_bits() -> NDArray[np.uint8]:
    codes = np.arange(256)
    return ((codes[:, None] >> np.arange(8)[None, :]) & 1).astype(np.uint8)


_BITS = _neighbour_bits()  # (256, 8): P2 .. P9
# Number of 0 -> 1 transitions around the neighbourhood: the crossing number.
_CROSSINGS = ((_BITS == 0) & (np.roll(_BITS, -1, axis=1) == 1)).sum(axis=1)
_COUNT = _BITS.sum(axis=1)


def _thinning_tables() -> tuple[Bools, Bools]:
    p2, p3, p4, p5, p6, p7, p8, p9 = (_BITS[:, i] for i in range(8))
    del p3, p5, p7, p9
    common = (_COUNT >= 2) & (_COUNT <= 6) & (_CROSSINGS == 1)
    first = common & (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
    second = common & (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
    return first, second


_DELETE_FIRST, _DELETE_SECOND = (table.astype(np.uint8) for table in _thinning_tables())
_CROSSINGS_U8 = _CROSSINGS.astype(np.uint8)


def _codes(binary: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The 8-neighbour code of every pixel of a 0/1 image (0..255; the weights sum to 255 exactly)."""
    return np.asarray(
        cv2.filter2D(binary, -1, _WEIGHTS, borderType=cv2.BORDER_CONSTANT), dtype=np.uint8
    )


def crossing_numbers(skeleton: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The crossing number of every pixel of a 0/1 skeleton: 1 at a ridge ending, 3 at a bifurcation."""
    return np.asarray(cv2.LUT(_codes(skeleton), _CROSSINGS_U8), dtype=np.uint8)


def thin(binary: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Zhang-Suen thinning of a 0/1 image to a one-pixel-wide skeleton."""
    skeleton = binary.copy()
    for _ in range(_MAX_THINNING_PASSES):
        changed = False
        for table in (_DELETE_FIRST, _DELETE_SECOND):
            delete = np.asarray(cv2.LUT(_codes(skeleton), table), dtype=np.uint8) & skeleton
            if cv2.countNonZero(delete):
                skeleton -= delete
                changed = True
        if not changed:
            break
    return skeleton


def enhance(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Ridge response: positive on dark ridge centres, negative in valleys, steered by the ridge flow."""
    pixels = image.astype(np.float32)
    height, width = image.shape
    gx = cv2.Sobel(pixels, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(pixels, cv2.CV_32F, 0, 1, ksize=3)
    # Gradients need full resolution (ridges alias when shrunk); their smoothed products do not.
    size = (width // _FIELD_SCALE, height // _FIELD_SCALE)
    sigma = ORIENTATION_SIGMA / _FIELD_SCALE
    jxx, jyy, jxy = (
        cv2.GaussianBlur(cv2.resize(product, size, interpolation=cv2.INTER_AREA), (0, 0), sigma)
        for product in (gx * gx, gy * gy, gx * gy)
    )
    norm = np.sqrt((jxx - jyy) ** 2 + 4.0 * jxy * jxy) + 1e-6
    cos2 = cv2.resize((jxx - jyy) / norm, (width, height), interpolation=cv2.INTER_LINEAR)
    sin2 = cv2.resize(2.0 * jxy / norm, (width, height), interpolation=cv2.INTER_LINEAR)
    smooth = cv2.GaussianBlur(pixels, (0, 0), RIDGE_SIGMA)
    ixx = cv2.Sobel(smooth, cv2.CV_32F, 2, 0, ksize=3)
    iyy = cv2.Sobel(smooth, cv2.CV_32F, 0, 2, ksize=3)
    ixy = cv2.Sobel(smooth, cv2.CV_32F, 1, 1, ksize=3)
    # Second derivative along the ridge normal n = (cos t, sin t), written with the doubled angle.
    response = 0.5 * (ixx + iyy) + 0.5 * cos2 * (ixx - iyy) + sin2 * ixy
    return np.asarray(response, dtype=np.float32)


def _isolated(candidates: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Candidates with no other candidate within PAIR_DISTANCE px each way (a square neighbourhood)."""
    side = 2 * int(PAIR_DISTANCE) + 1
    counts = cv2.boxFilter(
        candidates, cv2.CV_16U, (side, side), normalize=False, borderType=cv2.BORDER_CONSTANT
    )
    return np.asarray((candidates > 0) & (counts == 1), dtype=np.uint8)


def extract(image: NDArray[np.uint8], finger: Bools) -> Minutiae:
    """Minutiae of a 500 ppi image inside the finger area `finger` (same shape, True on the finger).

    Positions are in the image's own (500 ppi) pixels.
    """
    height, width = image.shape
    size = (width // SCALE, height // SCALE)
    # A minutia sits BORDER_MARGIN half-resolution pixels inside the finger, so an image (or a trimmed
    # strip of one) narrower than twice that has none; it is also too small to shrink for the ridge flow.
    if not finger.any() or min(size) < 2 * BORDER_MARGIN:
        empty = np.zeros(0, dtype=np.intp)
        return Minutiae(empty, empty, np.zeros(0, dtype=bool))
    small = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    area = cv2.resize(finger.view(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    inside = cv2.distanceTransform(np.pad(area, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    ridges = ((enhance(small) > 0) & (inside > 1)).astype(np.uint8)
    skeleton = thin(ridges)
    crossings = crossing_numbers(skeleton)
    candidate = (skeleton == 1) & ((crossings == 1) | (crossings == 3)) & (inside >= BORDER_MARGIN)
    y, x = np.nonzero(_isolated(candidate.astype(np.uint8)))
    x, y = x[:MAX_MINUTIAE], y[:MAX_MINUTIAE]
    bifurcation = crossings[y, x] == 3
    # Back to 500 ppi pixels: the centre of the 2 x 2 pixels a half-resolution pixel covers.
    return Minutiae(x=x * SCALE + SCALE // 2, y=y * SCALE + SCALE // 2, bifurcation=bifurcation)

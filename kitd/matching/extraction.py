"""The matcher's minutiae extractor: a 500 ppi capture in, a Template out.

It builds on the quality extractor's ridge detector and thinning (kitd/quality/finger/minutiae.py) and
adds what a comparison needs: each minutia's direction (the ridge flow, its sign taken from which side of
the minutia the skeleton lies), a quality from the local ridge coherence, and a stricter clean-up of
false minutiae (pairs closer than a ridge period, minutiae near the edge of the finger area, and weak
flow). Pure function of the pixels; it never writes anything.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.matching.template import MinutiaKind, Template
from kitd.quality.finger.minutiae import enhance, thin
from kitd.quality.finger.roi import region_of_interest

SCALE = 2
# Half-resolution pixels (250 ppi) below.
BORDER_MARGIN = 8.0
# Two minutiae closer than this are a break, a spur or a bridge (about a ridge period at 500 ppi).
PAIR_DISTANCE = 4
# Radius of the skeleton neighbourhood that gives a minutia's direction its sign.
DIRECTION_RADIUS = 4
# Minutiae where the flow is less coherent than this sit in noise or on a scar.
MIN_COHERENCE = 0.25
MAX_MINUTIAE = 120
_FLOW_SIGMA = 3.0

_WEIGHTS = np.array([[128, 1, 2], [64, 0, 4], [32, 16, 8]], dtype=np.float32)
_BITS = ((np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1).astype(np.uint8)
_CROSSINGS = ((_BITS == 0) & (np.roll(_BITS, -1, axis=1) == 1)).sum(axis=1).astype(np.uint8)


def _offset_kernels(radius: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    span = np.arange(-radius, radius + 1, dtype=np.float32)
    dy, dx = np.meshgrid(span, span, indexing="ij")
    inside = (dx * dx + dy * dy <= radius * radius).astype(np.float32)
    return dx * inside, dy * inside


_KX, _KY = _offset_kernels(DIRECTION_RADIUS)


def _flow(image: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Ridge direction (radians mod pi, image axes) and coherence 0..1 of every pixel."""
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), _FLOW_SIGMA)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), _FLOW_SIGMA)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), _FLOW_SIGMA)
    # The gradient runs across the ridges; the ridges run at right angles to it.
    across = 0.5 * np.arctan2(2.0 * jxy, jxx - jyy)
    coherence = np.sqrt((jxx - jyy) ** 2 + 4.0 * jxy * jxy) / (jxx + jyy + 1e-6)
    return (
        np.mod(across + np.pi / 2, np.pi).astype(np.float32),
        np.asarray(coherence, np.float32),
    )


def _isolated(candidates: NDArray[np.uint8]) -> NDArray[np.bool_]:
    side = 2 * PAIR_DISTANCE + 1
    counts = cv2.boxFilter(
        candidates, cv2.CV_16U, (side, side), normalize=False, borderType=cv2.BORDER_CONSTANT
    )
    return np.asarray((candidates > 0) & (counts == 1), dtype=bool)


def extract_template(
    pixels: NDArray[np.uint8],
    ppi: int = 500,
    finger: NDArray[np.bool_] | None = None,
    finger_quality: int = 0,
) -> Template:
    """The minutiae template of a 500 ppi grey capture (dark ridges on a light background).

    `finger` is the finger area (True inside); by default the quality assessment's region of interest.
    """
    height, width = pixels.shape
    area_full = region_of_interest(pixels).mask if finger is None else finger
    size = (width // SCALE, height // SCALE)
    small = np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    area = cv2.resize(area_full.view(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    inside = cv2.distanceTransform(np.pad(area, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    ridges = ((enhance(small) > 0) & (inside > 1)).astype(np.uint8)
    skeleton = thin(ridges)
    codes = np.asarray(
        cv2.filter2D(skeleton, -1, _WEIGHTS, borderType=cv2.BORDER_CONSTANT), dtype=np.uint8
    )
    crossings = cv2.LUT(codes, _CROSSINGS)
    direction, coherence = _flow(small.astype(np.float32))
    candidate = (
        (skeleton == 1)
        & ((crossings == 1) | (crossings == 3))
        & (inside >= BORDER_MARGIN)
        & (coherence >= MIN_COHERENCE)
    )
    ys, xs = np.nonzero(_isolated(candidate.astype(np.uint8)))
    # The skeleton's centre of mass around a minutia lies along its ridge (an ending) or between its
    # branches (a bifurcation): that side is the direction's sign.
    sk = skeleton.astype(np.float32)
    mass_x = cv2.filter2D(sk, cv2.CV_32F, _KX, borderType=cv2.BORDER_CONSTANT)[ys, xs]
    mass_y = cv2.filter2D(sk, cv2.CV_32F, _KY, borderType=cv2.BORDER_CONSTANT)[ys, xs]
    theta = direction[ys, xs]
    along = np.cos(theta) * mass_x + np.sin(theta) * mass_y
    theta = np.where(along < 0, theta + np.pi, theta)
    quality = np.clip(np.rint(100 * coherence[ys, xs]), 0, 100).astype(np.uint8)
    order = np.argsort(-quality, kind="stable")[:MAX_MINUTIAE]
    xs, ys, theta, quality = xs[order], ys[order], theta[order], quality[order]
    kinds = np.where(
        crossings[ys, xs] == 3, MinutiaKind.BIFURCATION, MinutiaKind.RIDGE_ENDING
    ).astype(np.uint8)
    return Template(
        width=width,
        height=height,
        ppi=ppi,
        x=(xs * SCALE + SCALE // 2).astype(np.float32),
        y=(ys * SCALE + SCALE // 2).astype(np.float32),
        # Image y grows downwards; ISO angles count counter-clockwise with y up.
        angle=np.mod(-theta, 2 * np.pi).astype(np.float32),
        kind=kinds,
        quality=quality,
        finger_quality=finger_quality,
    )

"""Ridge enhancement for the matcher: a 500 ppi capture in, the finger area and its enhanced ridges out.

Steps at full resolution: the grey levels normalised to zero mean and unit contrast over a few ridge
periods (uneven pressure and lighting go away); the ridge flow from the smoothed gradient tensor; the
print's ridge period from the peak of its spectrum; then an oriented filter per pixel: a Gaussian along
the ridges (it joins the dashes of a dry or porous ridge) followed by a cosine at the ridge period across
them (it keeps ridge-and-valley and drops everything else). Both are applied as resampled shifts of the
image, so the cost is a fixed number of whole-image passes whatever the flow looks like.

The finger area is found twice: roughly, from the band-pass energy of the raw image (enough to estimate
the period), then from the energy of the enhanced image, which only a ridge pattern keeps. Real sensors
show their own straight edges and smudges in the background; those pass the first test and fail the
second, and each of them would otherwise become a row of false minutiae shared by every print of the
sensor (impostor pairs would match on the sensor, not the finger). Pure functions of the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.float32]
Mask = NDArray[np.uint8]

# Window of the local statistics (mean, contrast, energy): about a ridge period and a half.
WINDOW_SIGMA = 8.0
# Band-pass of the rough finger area: between pore noise and the lighting trends.
BAND_SIGMAS = (1.5, 5.0)
# Share of Otsu's energy level above which a pixel is finger, in the rough and the final area.
ROUGH_LEVEL = 0.6
FINAL_LEVEL = 0.7
# Diameter of the opening and closing that clean the area: smaller blobs are specks, not fingers.
CLEAN_DIAMETER = 21
# Smoothing of the gradient tensor (the ridge flow): about one ridge period.
FLOW_SIGMA = 7.0
# Ridge periods searched (px at 500 ppi: 5 for a child's finger, 16 for a very coarse one).
PERIOD_RANGE = (5.0, 16.0)
# Smoothing along the ridges, and the width across them in ridge periods.
ALONG_SIGMA = 3.5
ACROSS_PERIODS = 0.55
ALONG_STRIDE = 2
# Blurs of this many pixels or more run at 1/SMOOTH_STEP of the resolution.
SMOOTH_STEP = 4


@dataclass(frozen=True)
class Enhanced:
    """A capture's finger area, ridge flow and enhanced ridges (negative on ridges, positive in valleys)."""

    area: Mask  # 1 inside the finger
    ridges: Image
    # Ridge direction per pixel, radians mod pi in image axes (y down), and its coherence 0..1.
    flow: Image
    coherence: Image
    period: float


def _smooth(image: Image, sigma: float) -> Image:
    """A wide Gaussian blur, computed at a quarter of the resolution: what it keeps is smooth anyway,
    and a blur of a few ridge periods costs ten times less there.
    """
    height, width = image.shape
    small = cv2.resize(
        image,
        (max(1, width // SMOOTH_STEP), max(1, height // SMOOTH_STEP)),
        interpolation=cv2.INTER_AREA,
    )
    blurred = cv2.GaussianBlur(small, (0, 0), sigma / SMOOTH_STEP)
    return np.asarray(
        cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR), np.float32
    )


def _clean(mask: Mask) -> Mask:
    """The largest blob of `mask`, opened, closed and without holes."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (CLEAN_DIAMETER, CLEAN_DIAMETER))
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, disc)
    mask = np.asarray(cv2.morphologyEx(opened, cv2.MORPH_CLOSE, disc), np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count > 2:
        largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        mask = (labels == largest).astype(np.uint8)
    # Holes are background blobs that do not touch the image's edge.
    _, holes = cv2.connectedComponents(1 - mask, connectivity=4)
    outside = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]]))
    filled = (mask > 0) | ~np.isin(holes, outside)
    return filled.astype(np.uint8)


def _energetic(energy: Image, level: float) -> Mask:
    """Pixels whose local energy exceeds `level` times Otsu's threshold of the energy map."""
    peak = max(1e-6, float(energy.max()))
    scaled = np.clip(energy * (255.0 / peak), 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return np.asarray(scaled > otsu * level, dtype=np.uint8)


def _rough_area(image: Image) -> Mask:
    fine, coarse = BAND_SIGMAS
    band = cv2.GaussianBlur(image, (0, 0), fine) - cv2.GaussianBlur(image, (0, 0), coarse)
    energy = np.sqrt(_smooth(band * band, WINDOW_SIGMA))
    return _clean(_energetic(energy, ROUGH_LEVEL))


def _normalised(image: Image) -> Image:
    mean = _smooth(image, WINDOW_SIGMA)
    variance = _smooth(image * image, WINDOW_SIGMA) - mean * mean
    return np.asarray((image - mean) / np.sqrt(np.maximum(variance, 1e-3)), np.float32)


def _flow(image: Image) -> tuple[Image, Image]:
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    jxx = _smooth(gx * gx, FLOW_SIGMA)
    jyy = _smooth(gy * gy, FLOW_SIGMA)
    jxy = _smooth(gx * gy, FLOW_SIGMA)
    # The gradient runs across the ridges; the ridges run at right angles to it.
    across = 0.5 * np.arctan2(2.0 * jxy, jxx - jyy)
    coherence = np.sqrt((jxx - jyy) ** 2 + 4.0 * jxy * jxy) / (jxx + jyy + 1e-6)
    return np.mod(across + np.pi / 2, np.pi).astype(np.float32), coherence.astype(np.float32)


def ridge_period(image: Image, area: Mask) -> float:
    """The print's dominant ridge period in pixels: the peak of the radial spectrum inside the area."""
    height, width = image.shape
    window = np.hanning(height)[:, None] * np.hanning(width)[None, :]
    spectrum = np.abs(np.fft.rfft2(image * area * window))
    radius = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.rfftfreq(width)[None, :])
    shortest, longest = PERIOD_RANGE
    edges = np.linspace(1.0 / longest, 1.0 / shortest, 40)
    ring = np.digitize(radius, edges)
    profile = np.bincount(ring.ravel(), weights=spectrum.ravel(), minlength=edges.size + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    return float(1.0 / centres[int(np.argmax(profile[1 : edges.size]))])


def _oriented_filter(image: Image, flow: Image, period: float) -> Image:
    height, width = image.shape
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    cos, sin = np.cos(flow), np.sin(flow)

    def shifted(source: Image, dx: Image, dy: Image) -> Image:
        return np.asarray(
            cv2.remap(source, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT),
            np.float32,
        )

    reach = int(np.ceil(2.5 * ALONG_SIGMA))
    along = np.zeros_like(image)
    total = 0.0
    # Along the ridges the image changes slowly: every other pixel is sample enough.
    for step in range(-reach, reach + 1, ALONG_STRIDE):
        weight = float(np.exp(-0.5 * (step / ALONG_SIGMA) ** 2))
        along += weight * shifted(image, step * cos, step * sin)
        total += weight
    along /= total
    across_sigma = ACROSS_PERIODS * period
    reach = int(np.ceil(2.2 * across_sigma))
    out = np.zeros_like(image)
    for step in range(-reach, reach + 1):
        weight = float(
            np.exp(-0.5 * (step / across_sigma) ** 2) * np.cos(2 * np.pi * step / period)
        )
        out += weight * shifted(along, -step * sin, step * cos)
    return out


def enhance(pixels: NDArray[np.uint8], area: NDArray[np.bool_] | None = None) -> Enhanced:
    """The finger area, flow and enhanced ridges of a 500 ppi grey capture (dark ridges).

    `area` (True inside the finger) replaces the area found from the ridge energy when given.
    """
    image = pixels.astype(np.float32)
    rough = _rough_area(image) if area is None else area.astype(np.uint8)
    normalised = _normalised(image)
    flow, coherence = _flow(normalised)
    period = ridge_period(normalised, rough)
    ridges = np.zeros_like(normalised)
    # Only the finger (and a margin for the filter's reach) is worth filtering.
    rows, columns = np.nonzero(rough)
    if rows.size:
        margin = int(np.ceil(3 * period))
        top, bottom = max(0, int(rows.min()) - margin), int(rows.max()) + margin + 1
        left, right = max(0, int(columns.min()) - margin), int(columns.max()) + margin + 1
        box = (slice(top, bottom), slice(left, right))
        ridges[box] = _oriented_filter(normalised[box], flow[box], period)
    if area is None:
        energy = np.sqrt(_smooth(ridges * ridges, WINDOW_SIGMA))
        final = _clean(_energetic(energy, FINAL_LEVEL) & rough)
    else:
        final = rough
    return Enhanced(final, ridges, flow, coherence, period)

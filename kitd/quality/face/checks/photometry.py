"""Light and colour on the face: native values from the face-skin pixels.

Crushed shadows and contrast are counted in grey levels 0-255 (BT.601 luma, as OpenCV's BGR to grey),
burnt-out light in the colour channels 0-255 (what the sensor delivered); brightness and colour are
judged as a person sees them, in CIELAB (L* 0-100, a* and b* signed, sRGB with a D65 white). This module must never look outside the masks it is given, and never
apply a threshold.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.face import mesh

# Levels counted as clipped: nearly black (grey) and nearly white (any colour channel).
DARK_LEVEL = 25
BRIGHT_LEVEL = 245


def masked(values: NDArray[np.uint8], mask: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The pixels of `values` where `mask` is set."""
    selected: NDArray[np.uint8] = values[mask > 0]
    return selected


# Where skin of every tone lies in CIELAB (mean over the face), a* and b* ranges.
SKIN_A = (5.0, 25.0)
SKIN_B = (5.0, 35.0)
# Chroma (CIELAB) a plain backdrop may have: light grey, off-white and pale blue walls stay under it.
NEUTRAL_CHROMA = 10.0
# CIELAB chroma per unit of log-chromaticity (ln R/G, ln B/G) at mid-grey (L* 50), the median over hues:
# the backdrop's departure from grey is measured in log-chromaticity and scaled by this to CIELAB units.
LOG_CHROMA_SCALE = 57.0
MIN_BACKGROUND_PIXELS = 200
# Fewer mirrored skin point pairs than this cannot compare the two sides of a face.
MIN_PAIRS = 20
# Mirror pairs further apart across the face than this share of the outer eye corners' span are the
# face's outer parts (cheeks, temples, jaw).
FAR_PAIRS = 0.8


def luminance(skin_bgr: NDArray[np.uint8]) -> float:
    """Mean lightness L* (0 black .. 100 white) of N x 3 BGR face-skin pixels."""
    return float(lab_mean(skin_bgr)[0]) if len(skin_bgr) else math.nan


def under_exposure(face_grey: NDArray[np.uint8]) -> float:
    """The share of face pixels darker than DARK_LEVEL (NaN for no face pixels)."""
    return float((face_grey < DARK_LEVEL).mean()) if face_grey.size else math.nan


def over_exposure(skin_bgr: NDArray[np.uint8]) -> float:
    """Share of N x 3 BGR face-skin pixels with a colour channel burnt out (above BRIGHT_LEVEL).

    Skin is red before it is green or blue, so too much light saturates the sensor's red channel on
    much of the face while the grey level is still well under white, most of all on darker skin: the
    skin's colour is lost there, which is what a burnt-out face is (the grey level clips only where all
    three channels do, a subset of these pixels).
    """
    if not len(skin_bgr):
        return math.nan
    return float((skin_bgr.max(axis=1) > BRIGHT_LEVEL).mean())


def dynamic_range(face_grey: NDArray[np.uint8]) -> float:
    """The face's grey-level span, 1st to 99th percentile (NaN for no face pixels)."""
    if not face_grey.size:
        return math.nan
    low, high = np.percentile(face_grey, [1, 99])
    return float(high - low)


def illumination_uniformity(
    lightness: NDArray[np.float32], points: NDArray[np.float64], skin: NDArray[np.uint8]
) -> float:
    """Mean lightness L* over the face's outer skin points on one side, over the other's, darker over
    brighter (1 = even).

    The points are the mesh's mirror pairs (mesh.MIRROR_PAIRS) with both ends on the `skin` mask and
    further apart across the face than FAR_PAIRS of the outer eye corners' span (cheeks, temples, jaw:
    light falling off across the
    face shows most there; pairs near the midline are lit alike by any light), read on `lightness`
    (L*, smoothed by the caller so each point stands for its neighbourhood). Mirrored places carry the
    same anatomy on both sides, so a turned head weighs both sides alike and only the light differs.
    Too few outer pairs (a profile): every pair on the skin counts.
    """
    h, w = lightness.shape[:2]
    xy = np.round(points[:, :2]).astype(np.int64)
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    xy = np.clip(xy, 0, [w - 1, h - 1])
    on_skin = inside & (skin[xy[:, 1], xy[:, 0]] > 0)
    pairs = np.asarray(mesh.MIRROR_PAIRS)
    kept = pairs[on_skin[pairs[:, 0]] & on_skin[pairs[:, 1]]]
    if len(kept) < MIN_PAIRS:
        return math.nan
    # Distances across the face: along the eye line, against the span of the outer eye corners.
    span = points[mesh.LEFT_EYE_CORNERS[0], :2] - points[mesh.RIGHT_EYE_CORNERS[0], :2]
    eye_span = float(np.linalg.norm(span))
    across = np.abs(
        (points[kept[:, 1], :2] - points[kept[:, 0], :2]) @ (span / max(eye_span, 1e-6))
    )
    outer = kept[across > FAR_PAIRS * eye_span]
    if len(outer) >= MIN_PAIRS:
        kept = outer
    right = float(lightness[xy[kept[:, 0], 1], xy[kept[:, 0], 0]].mean())
    left = float(lightness[xy[kept[:, 1], 1], xy[kept[:, 1], 0]].mean())
    return min(right, left) / max(right, left, 1e-6)


def lightness(bgr: NDArray[np.uint8], spread: float) -> NDArray[np.float32]:
    """CIELAB L* (0-100) of an image, averaged over `spread` pixels (box filter)."""
    lab = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB), dtype=np.uint8)
    l_star = lab[:, :, 0].astype(np.float32) * np.float32(100.0 / 255.0)
    size = max(1, round(spread))
    return np.asarray(cv2.blur(l_star, (size, size)), dtype=np.float32)


def lab_mean(bgr_pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
    """Mean CIELAB (L 0-100, a and b signed) of N x 3 BGR pixels."""
    lab = np.asarray(
        cv2.cvtColor(bgr_pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2LAB), dtype=np.uint8
    ).reshape(-1, 3)
    mean = lab.astype(np.float64).mean(axis=0)
    result: NDArray[np.float64] = np.array(
        [mean[0] * 100.0 / 255.0, mean[1] - 128.0, mean[2] - 128.0]
    )
    return result


def natural_colour(skin_bgr: NDArray[np.uint8], background_bgr: NDArray[np.uint8]) -> float:
    """How far the colours are from natural, in CIELAB units (0 = natural): the larger of two departures.

    The mean face skin outside the skin ranges SKIN_A x SKIN_B: a blue, green or cyan cast takes redness
    or yellowness away, a strong red or yellow one adds too much. And the backdrop's colour beyond
    NEUTRAL_CHROMA: the backdrop behind the person is neutral (grey, off-white, a pale tint), so a colour
    cast of the light or of the white balance shows on it even when the skin's own colour hides it (skin
    tones span much of a cast's shift). Without enough background pixels only the skin counts.
    """
    if not len(skin_bgr):
        return math.nan
    _, a, b = lab_mean(skin_bgr)
    da = max(SKIN_A[0] - a, 0.0, a - SKIN_A[1])
    db = max(SKIN_B[0] - b, 0.0, b - SKIN_B[1])
    skin = math.hypot(da, db)
    if len(background_bgr) < MIN_BACKGROUND_PIXELS:
        return float(skin)
    return float(max(skin, backdrop_cast(background_bgr) - NEUTRAL_CHROMA))


def backdrop_cast(background_bgr: NDArray[np.uint8]) -> float:
    """The backdrop's mean colour's distance from grey in log-chromaticity (ln R/G, ln B/G), scaled to
    CIELAB chroma at mid-grey (LOG_CHROMA_SCALE).

    A cast of the light or of the white balance multiplies each channel by its own gain, which in
    log-chromaticity is the same shift for every colour, dark or light. In CIELAB the same cast shows
    less on a darker colour (a* and b* shrink with lightness), so a cast read there on a mid-grey wall
    was smaller than on a light one, and a pale tinted wall read like a cast.
    """
    blue, green, red = np.maximum(background_bgr.reshape(-1, 3).mean(axis=0), 1.0)
    return LOG_CHROMA_SCALE * math.hypot(math.log(red / green), math.log(blue / green))

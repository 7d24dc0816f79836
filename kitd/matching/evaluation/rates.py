"""Error rates of a comparator from its genuine and impostor scores (a score at or above the threshold
is a match), thresholds by false-match rate, and the thresholds a kit can be calibrated with.

A rate of r can only be read from n impostor pairs when r * n >= 1: below that the threshold is just
above the highest impostor score, which is the most the sample says (the rate is then not resolved).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


def threshold_at_fmr(impostor: Floats, fmr: float) -> float:
    """The lowest threshold whose false-match rate on `impostor` is at most `fmr`."""
    if impostor.size == 0:
        raise ValueError("no impostor scores to set a threshold on")
    ordered = np.sort(impostor)[::-1]
    allowed = math.floor(fmr * ordered.size + 1e-9)
    if allowed >= ordered.size:
        return float(ordered[-1])
    # Just above the (allowed + 1)-th highest impostor score: that one and all below it no longer match.
    return float(np.nextafter(ordered[allowed], np.inf))


def resolved(fmr: float, impostor_pairs: int) -> bool:
    """Whether `impostor_pairs` pairs can tell a false-match rate of `fmr` from none at all."""
    return fmr * impostor_pairs >= 1 - 1e-9


def fmr_at(impostor: Floats, threshold: float) -> float:
    """The share of impostor scores at or above `threshold` (NaN without impostor scores)."""
    return float((impostor >= threshold).mean()) if impostor.size else math.nan


def fnmr_at(genuine: Floats, threshold: float) -> float:
    """The share of genuine scores below `threshold` (NaN without genuine scores)."""
    return float((genuine < threshold).mean()) if genuine.size else math.nan


def equal_error_rate(genuine: Floats, impostor: Floats) -> float:
    """The lowest, over all thresholds, of the larger of FMR and FNMR (the EER where the curves cross)."""
    if genuine.size == 0 or impostor.size == 0:
        return math.nan
    candidates = np.unique(np.concatenate([genuine, impostor]))
    candidates = np.append(candidates, np.nextafter(candidates[-1], np.inf))
    imp, gen = np.sort(impostor), np.sort(genuine)
    fmr = (imp.size - np.searchsorted(imp, candidates, side="left")) / imp.size
    fnmr = np.searchsorted(gen, candidates, side="left") / gen.size
    return float(np.min(np.maximum(fmr, fnmr)))


@dataclass(frozen=True)
class OperatingPoint:
    """A threshold and the two error rates it gives."""

    threshold: float
    fmr: float
    fnmr: float
    # False for a threshold set at a false-match rate the impostor sample is too small to resolve.
    resolved: bool = True


@dataclass(frozen=True)
class PairFigures:
    """What the pairs of one set (or a pool of sets) say."""

    genuine_pairs: int
    impostor_pairs: int
    fvc_impostor_pairs: int
    # Thresholds set on this sample's impostors (every different-finger pair), FNMR read there.
    at_fmr_1pct: OperatingPoint
    at_fmr_01pct: OperatingPoint
    eer: float
    # The EER against the FVC impostor pairs alone, as the competitions report it.
    eer_fvc: float
    # The kit's own thresholds (false-match rate -> operating point on this sample).
    kit: dict[float, OperatingPoint]
    genuine_median: float
    impostor_median: float
    impostor_max: float


def operating_point(genuine: Floats, impostor: Floats, threshold: float) -> OperatingPoint:
    """FMR and FNMR at `threshold`."""
    return OperatingPoint(threshold, fmr_at(impostor, threshold), fnmr_at(genuine, threshold))


def pair_figures(
    genuine: Floats, impostor: Floats, fvc_impostor: Floats, kit_thresholds: dict[float, float]
) -> PairFigures:
    """What a set's pairs say: EER and FNMR at FMR 1 %, 0.1 % and at the kit's thresholds."""

    def at(fmr: float) -> OperatingPoint:
        point = operating_point(genuine, impostor, threshold_at_fmr(impostor, fmr))
        return replace(point, resolved=resolved(fmr, int(impostor.size)))

    return PairFigures(
        genuine_pairs=int(genuine.size),
        impostor_pairs=int(impostor.size),
        fvc_impostor_pairs=int(fvc_impostor.size),
        at_fmr_1pct=at(0.01),
        at_fmr_01pct=at(0.001),
        eer=equal_error_rate(genuine, impostor),
        eer_fvc=equal_error_rate(genuine, fvc_impostor),
        kit={
            rate: operating_point(genuine, impostor, threshold)
            for rate, threshold in kit_thresholds.items()
        },
        genuine_median=float(np.median(genuine)),
        impostor_median=float(np.median(impostor)),
        impostor_max=float(np.max(impostor)),
    )


@dataclass(frozen=True)
class Calibration:
    """A threshold for a false-match rate, from a sample of impostor scores."""

    fmr: float
    threshold: float
    impostor_pairs: int
    # Impostor pairs at or above the threshold (at most fmr * impostor_pairs).
    false_matches: int
    # False when the sample is too small for the rate: the threshold is then just above its highest
    # impostor score.
    resolved: bool


def calibrate(impostor: Floats, rates: Iterable[float]) -> list[Calibration]:
    """The threshold of each rate on `impostor` (every different-finger pair of the real sets)."""
    found = []
    for fmr in rates:
        threshold = threshold_at_fmr(impostor, fmr)
        found.append(
            Calibration(
                fmr,
                threshold,
                int(impostor.size),
                int((impostor >= threshold).sum()),
                resolved(fmr, int(impostor.size)),
            )
        )
    return found


def rounded_up(threshold: float, decimals: int = 2) -> float:
    """A threshold for the kit's table: rounded up, so that the measured false-match rate still holds."""
    scale = 10**decimals
    # Rounded first: 4.46 * 100 is 446.00000000000006 in floating point, which is still 4.46.
    steps = math.ceil(round(threshold * scale, 6))
    while steps / scale < threshold:
        steps += 1
    return float(steps / scale)

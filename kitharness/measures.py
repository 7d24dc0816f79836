"""Summaries of measured samples, in one convention for the bench and the soaks."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """The median (the mean of the two middle values for an even count); 0 for none."""
    return float(statistics.median(values)) if values else 0.0


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `fraction` (0..1) of the values at
    or below it; 0 for none.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"a percentile's fraction must be within 0..1, not {fraction}")
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return float(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)])

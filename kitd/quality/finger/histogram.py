"""NFIQ 2's fixed 10-bin histograms of per-block values, plus their mean and standard deviation.

The bin edges are the published ones (ISO/IEC 29794-4, NFIQ 2): nine boundaries, a value equal to a
boundary goes to the upper bin. With no values at all the counts, mean and deviation are all 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

BIN_EDGES: dict[str, tuple[float, ...]] = {
    "FDA": (0.268, 0.304, 0.33, 0.355, 0.38, 0.407, 0.44, 0.50, 1.0),
    "LCS": (0.0, 0.70, 0.74, 0.77, 0.79, 0.81, 0.83, 0.85, 0.87),
    "OCL": (0.337, 0.479, 0.579, 0.655, 0.716, 0.766, 0.81, 0.852, 0.898),
    "OF": (1.715e-2, 3.5e-2, 5.57e-2, 8.1e-2, 1.15e-1, 1.718e-1, 2.569e-1, 4.758e-1, 7.48e-1),
    "RVUP": (0.5, 0.667, 0.8, 1.0, 1.25, 1.5, 2.0, 24.0, 30.0),
}


def histogram_names(prefix: str) -> list[str]:
    """The names of a feature's twelve histogram values: ten bins, mean and standard deviation."""
    base = f"{prefix}_Bin10_"
    return [f"{base}{i}" for i in range(10)] + [f"{base}Mean", f"{base}StdDev"]


def histogram_features(prefix: str, values: NDArray[np.float64]) -> dict[str, float]:
    """A feature's per-block values as NFIQ 2 reports them: ten bin counts, mean, std deviation."""
    names = histogram_names(prefix)
    finite = values[np.isfinite(values)]
    bins = np.searchsorted(np.asarray(BIN_EDGES[prefix]), finite, side="right")
    counts = np.bincount(bins, minlength=10)
    features = {name: float(count) for name, count in zip(names[:10], counts, strict=True)}
    features[names[10]] = float(finite.mean()) if finite.size else 0.0
    features[names[11]] = float(finite.std()) if finite.size else 0.0
    return features

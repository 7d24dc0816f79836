"""Comparison score thresholds by false-match rate, as measured; a policy names the rate, not the score.

Each threshold is the score that no more than that share of impostor pairs reached on real prints: every
different-finger pair of the three real FVC sets (fvc2002_db1_b, fvc2004_db2_b, fvc2002_db3_b: 8,640
pairs, `./scripts/eval-match --calibrate`), rounded up to two decimals. For FMR 1 % and 0.1 % the sample
resolves the rate (86 and 8 impostor pairs at or above); for 1e-4 it cannot (0.86 pairs expected), so
that threshold is the highest impostor score seen, rounded up: an FMR of 1e-4 is assumed there, not
measured. The simulator's prints score far from these thresholds either way (docs/matching.md).

A score with the ridge flow (both templates carry it: every print the kit or the back office extracts)
is on its own scale; a comparison on minutiae alone (a reference record without the flow, a card's
compact template) meets MINUTIAE_THRESHOLDS, calibrated on the same pairs.
"""

from __future__ import annotations

# false-match rate -> score threshold (kitd.matching.comparison scores with the ridge flow)
THRESHOLDS: dict[float, float] = {
    0.01: 11.28,
    0.001: 12.88,
    0.0001: 14.14,
}
# The same, for scores of the minutiae alone.
MINUTIAE_THRESHOLDS: dict[float, float] = {
    0.01: 2.66,
    0.001: 3.36,
    0.0001: 4.02,
}


def threshold_for(false_match_rate: float, *, ridge_flow: bool = True) -> float:
    """The score threshold measured for `false_match_rate`, for scores with the ridge flow or (False)
    of the minutiae alone; only the measured rates are known.
    """
    table = THRESHOLDS if ridge_flow else MINUTIAE_THRESHOLDS
    threshold = table.get(false_match_rate)
    if threshold is None:
        known = ", ".join(str(rate) for rate in table)
        raise ValueError(
            f"no threshold is measured for a false-match rate of {false_match_rate} "
            f"(measured: {known})"
        )
    return threshold

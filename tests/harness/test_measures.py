"""The bench's and the soaks' summaries of measured samples: one median, one nearest-rank percentile."""

from __future__ import annotations

import pytest

from kitharness.measures import median, percentile


def test_the_median_is_the_middle_or_the_mean_of_the_two_middles() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([]) == 0.0


def test_a_percentile_is_the_smallest_value_with_that_share_at_or_below_it() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100, shuffled order must not matter
    values.reverse()
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 1.0) == 100.0
    assert percentile(values, 0.0) == 1.0
    # Few samples: the p95 of 10 is the highest, never an index past the end.
    assert percentile([float(v) for v in range(10)], 0.95) == 9.0
    assert percentile([], 0.95) == 0.0


@pytest.mark.parametrize("fraction", [95.0, -0.1, 1.5])
def test_a_percentile_asked_in_percent_is_refused(fraction: float) -> None:
    # 95 for the p95 is a mistake, not the maximum.
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        percentile([1.0, 2.0], fraction)

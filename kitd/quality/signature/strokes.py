"""Pen samples as arrays, split into strokes, in millimetres: the common input of rendering and checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hal.signpad.base import PadInfo, PenFlags, PenSample


@dataclass(frozen=True)
class Ink:
    """A signature's pen samples as arrays: time, position, pressure and tip."""

    # All samples: time (s from the first sample), x, y (device units), pressure (0..1), tip (0/1).
    t: NDArray[np.float64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    pressure: NDArray[np.float64]
    tip: NDArray[np.bool_]
    # Gaps the pad flagged (samples lost on the link or in its FIFO).
    dropped: int
    # Pen time lost to those gaps, milliseconds: how much of the trace is missing.
    lost_ms: float
    # (start, stop) index ranges of pen-down runs.
    strokes: tuple[tuple[int, int], ...]
    units_per_mm: float
    max_x: int
    max_y: int

    @property
    def ink_samples(self) -> int:
        return int(self.tip.sum())


def ink_from_samples(samples: Sequence[PenSample], pad: PadInfo) -> Ink:
    """The pen samples as arrays (seconds from the first, pressure 0..1) and their strokes."""
    count = len(samples)
    t = np.fromiter((s.time_us for s in samples), dtype=np.float64, count=count)
    if count:
        t = (t - t[0]) / 1e6
    x = np.fromiter((s.x for s in samples), dtype=np.float64, count=count)
    y = np.fromiter((s.y for s in samples), dtype=np.float64, count=count)
    pressure = np.fromiter((s.pressure for s in samples), dtype=np.float64, count=count)
    pressure /= max(pad.max_pressure, 1)
    tip = np.fromiter((PenFlags.TIP in s.flags for s in samples), dtype=np.bool_, count=count)
    flagged = np.fromiter(
        (PenFlags.SAMPLES_DROPPED in s.flags for s in samples), dtype=np.bool_, count=count
    )
    dropped = int(flagged.sum())
    lost_ms = _lost_ms(t, flagged, pad.rate_hz)
    edges = np.diff(np.concatenate([[0], tip.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return Ink(
        t=t,
        x=x,
        y=y,
        pressure=pressure,
        tip=tip,
        dropped=dropped,
        lost_ms=lost_ms,
        strokes=tuple(zip(starts.tolist(), stops.tolist(), strict=True)),
        # lpi: lines per inch; 25.4 mm per inch.
        units_per_mm=max(pad.lpi, 1) / 25.4,
        max_x=pad.max_x,
        max_y=pad.max_y,
    )


def _lost_ms(t: NDArray[np.float64], flagged: NDArray[np.bool_], rate_hz: int) -> float:
    """Time missing before each flagged sample: the gap to the previous sample beyond one period
    (at least one period: the pad flagged a loss even when its clock shows no gap).
    """
    period = 1.0 / max(rate_hz, 1)
    if len(t) < 2:
        return float(flagged.sum()) * period * 1000.0
    gaps = np.concatenate([[period], np.diff(t)])
    lost = np.maximum(gaps - period, period)[flagged]
    return float(lost.sum()) * 1000.0

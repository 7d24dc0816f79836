"""Stroke scripts (docs/protocols/signpad.md §5) and their playback plan at the pad's sample rate.

A script is JSON: strokes of `[t_ms, x, y, pressure]` points, x/y as fractions of the active area and
pressure 0..1 (or device units with `"units": "device"`). `plan_samples` turns it into the samples the
pad will send, with offsets in microseconds from the start: ink within strokes, hover between strokes
that are at most 1 s apart, nothing while the pen is out of range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from kitsim.device import ControlError

TIP = 0x01
IN_RANGE = 0x02
MAX_HOVER_GAP_MS = 1000.0


@dataclass(frozen=True)
class PadGeometry:
    """The pad's coordinate range, pressure range and sample rate."""

    max_x: int
    max_y: int
    max_pressure: int
    rate_hz: int


@dataclass(frozen=True)
class PlannedSample:
    """One pen sample a stroke script plans, at its offset from the start."""

    offset_us: int
    x: int
    y: int
    pressure: int
    flags: int


def parse_script(script: Any) -> list[np.ndarray]:
    """Validates a script; returns one (n, 4) float array per stroke: t_ms, x, y, pressure."""
    if not isinstance(script, dict) or not isinstance(script.get("strokes"), list):
        raise ControlError('a stroke script is an object with a "strokes" list')
    strokes: list[np.ndarray] = []
    for index, stroke in enumerate(script["strokes"]):
        points = stroke.get("points") if isinstance(stroke, dict) else stroke
        try:
            array = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise ControlError(f"stroke {index}: points must be [t_ms, x, y, pressure]") from None
        if array.ndim != 2 or array.shape[1] != 4 or len(array) == 0:
            raise ControlError(f"stroke {index}: points must be a list of [t_ms, x, y, pressure]")
        if np.any(np.diff(array[:, 0]) < 0):
            raise ControlError(f"stroke {index}: times must not go backwards")
        strokes.append(array)
    for index in range(1, len(strokes)):
        if strokes[index][0, 0] < strokes[index - 1][-1, 0]:
            raise ControlError(f"stroke {index} starts before stroke {index - 1} ends")
    return strokes


def plan_samples(script: Any, pad: PadGeometry) -> list[PlannedSample]:
    """The samples the pad sends for a stroke script, at the pad's rate (none without strokes)."""
    strokes = parse_script(script)
    if not strokes:
        return []
    device_units = script.get("units") == "device"
    hover_ms = float(script.get("hover_ms", 80.0))
    period_ms = 1000.0 / pad.rate_hz
    scale = (
        np.array([1.0, 1.0, 1.0, 1.0])
        if device_units
        else np.array([1.0, pad.max_x, pad.max_y, pad.max_pressure])
    )
    strokes = [s * scale for s in strokes]
    start = strokes[0][0, 0] - hover_ms
    end = strokes[-1][-1, 0] + hover_ms
    times = start + np.arange(int((end - start) / period_ms) + 1) * period_ms
    samples: list[PlannedSample] = []
    for t in times:
        state = _state_at(t, strokes, hover_ms)
        if state is None:
            continue
        x, y, p, flags = state
        samples.append(
            PlannedSample(
                offset_us=round((t - start) * 1000.0),
                x=int(np.clip(round(x), 0, pad.max_x)),
                y=int(np.clip(round(y), 0, pad.max_y)),
                pressure=int(np.clip(round(p), 0, pad.max_pressure)),
                flags=flags,
            )
        )
    return samples


def _state_at(
    t: float, strokes: list[np.ndarray], hover_ms: float
) -> tuple[float, float, float, int] | None:
    for index, stroke in enumerate(strokes):
        first, last = stroke[0, 0], stroke[-1, 0]
        if first <= t <= last:
            x = float(np.interp(t, stroke[:, 0], stroke[:, 1]))
            y = float(np.interp(t, stroke[:, 0], stroke[:, 2]))
            p = float(np.interp(t, stroke[:, 0], stroke[:, 3]))
            return x, y, p, (TIP | IN_RANGE) if p > 0 else IN_RANGE
        if t < first:
            if index == 0:
                return float(stroke[0, 1]), float(stroke[0, 2]), 0.0, IN_RANGE
            previous = strokes[index - 1]
            gap = first - previous[-1, 0]
            if gap > MAX_HOVER_GAP_MS:
                return None
            # Hover along the straight line to the next stroke's start.
            k = (t - previous[-1, 0]) / gap if gap > 0 else 1.0
            x = previous[-1, 1] + k * (stroke[0, 1] - previous[-1, 1])
            y = previous[-1, 2] + k * (stroke[0, 2] - previous[-1, 2])
            return float(x), float(y), 0.0, IN_RANGE
    last_stroke = strokes[-1]
    if t <= last_stroke[-1, 0] + hover_ms:
        return float(last_stroke[-1, 1]), float(last_stroke[-1, 2]), 0.0, IN_RANGE
    return None

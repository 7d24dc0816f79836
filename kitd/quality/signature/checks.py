"""The signature checks: one small function per check id, each (ink, thresholds) -> CheckResult.

Ids (docs/api.md): not_empty, ink_length, stroke_count, duration, inside_box, not_dot_or_line,
samples_dropped. Values are native (samples, millimetres, strokes, seconds, fractions); guidance tells
the operator what to do when a check fails.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kitd.locale.message import Message
from kitd.quality.check import CheckResult
from kitd.quality.signature.strokes import Ink
from kitd.quality.signature.thresholds import SignatureThresholds

# What to tell the operator when a check fails (texts in kitd/locale/catalogs, by message id).
GUIDANCE = {
    name: Message(f"signature.{message_id}")
    for name, message_id in {
        "not_empty": "not_empty",
        "ink_length": "too_short",
        "stroke_count_low": "strokes.too_few",
        "stroke_count_high": "strokes.too_many",
        "duration_short": "duration.too_short",
        "duration_long": "duration.too_long",
        "inside_box": "inside_box",
        "dot": "dot",
        "line": "line",
        "samples_dropped": "samples_dropped",
    }.items()
}


def _at_least(check_id: str, value: float, bound: float, guidance: Message) -> CheckResult:
    passed = value >= bound
    quality = 100 if passed else int(100 * max(0.0, value) / bound) if bound > 0 else 0
    return CheckResult(check_id, value, bound, passed, quality, None if passed else guidance)


def _at_most(check_id: str, value: float, bound: float, guidance: Message) -> CheckResult:
    passed = value <= bound
    quality = 100 if passed else int(100 * bound / value) if value > 0 else 0
    return CheckResult(check_id, value, bound, passed, quality, None if passed else guidance)


def check_not_empty(ink: Ink, th: SignatureThresholds) -> CheckResult:
    """Fails when the pen drew too few samples with its tip down."""
    return _at_least("not_empty", ink.ink_samples, th.min_ink_samples, GUIDANCE["not_empty"])


def ink_length_mm(ink: Ink) -> float:
    """The length of all strokes together, in millimetres."""
    total = 0.0
    for start, stop in ink.strokes:
        total += float(np.hypot(np.diff(ink.x[start:stop]), np.diff(ink.y[start:stop])).sum())
    return total / ink.units_per_mm


def check_ink_length(ink: Ink, th: SignatureThresholds) -> CheckResult:
    """Fails when the ink is shorter than the threshold."""
    return _at_least("ink_length", ink_length_mm(ink), th.min_ink_mm, GUIDANCE["ink_length"])


def check_stroke_count(ink: Ink, th: SignatureThresholds) -> CheckResult:
    """Fails when there are too few or too many strokes."""
    count = len(ink.strokes)
    if count < th.min_strokes:
        return _at_least("stroke_count", count, th.min_strokes, GUIDANCE["stroke_count_low"])
    return _at_most("stroke_count", count, th.max_strokes, GUIDANCE["stroke_count_high"])


def check_duration(ink: Ink, th: SignatureThresholds) -> CheckResult:
    """Fails when the signing took too short or too long, first to last tip-down sample."""
    times = ink.t[ink.tip]
    duration = float(times[-1] - times[0]) if len(times) else 0.0
    if duration < th.min_duration_s:
        return _at_least("duration", duration, th.min_duration_s, GUIDANCE["duration_short"])
    return _at_most("duration", duration, th.max_duration_s, GUIDANCE["duration_long"])


def check_inside_box(ink: Ink, th: SignatureThresholds) -> CheckResult:
    """Fails when too much of the ink lies near the pad's edge."""
    xs, ys = ink.x[ink.tip], ink.y[ink.tip]
    if len(xs) == 0:
        return _at_most("inside_box", 1.0, th.max_edge_fraction, GUIDANCE["not_empty"])
    edge = th.edge_mm * ink.units_per_mm
    near = (xs <= edge) | (ys <= edge) | (xs >= ink.max_x - edge) | (ys >= ink.max_y - edge)
    return _at_most("inside_box", float(near.mean()), th.max_edge_fraction, GUIDANCE["inside_box"])


def check_not_dot_or_line(ink: Ink, th: SignatureThresholds) -> CheckResult:
    """Fails when the ink is a dot (too small) or a line (too thin across its main direction)."""
    points = np.column_stack([ink.x[ink.tip], ink.y[ink.tip]]) / ink.units_per_mm
    if len(points) < 2:
        return _at_least("not_dot_or_line", 0.0, th.min_extent_mm, GUIDANCE["dot"])
    centred = points - points.mean(axis=0)
    # Principal axes of the ink: the extent along the first says "dot", across it says "line".
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ axes.T
    extent = float(np.ptp(projected[:, 0]))
    thickness = float(np.ptp(projected[:, 1])) if projected.shape[1] > 1 else 0.0
    if extent < th.min_extent_mm:
        return _at_least("not_dot_or_line", extent, th.min_extent_mm, GUIDANCE["dot"])
    return _at_least("not_dot_or_line", thickness, th.min_thickness_mm, GUIDANCE["line"])


def check_samples_dropped(ink: Ink, th: SignatureThresholds) -> CheckResult:
    """Fails when the pad lost more pen samples than the threshold allows."""
    # A short loss is bridged by the rendered line and noted in the time series; a long one distorts it.
    return _at_most("samples_dropped", ink.lost_ms, th.max_lost_ms, GUIDANCE["samples_dropped"])


CHECKS: tuple[Callable[[Ink, SignatureThresholds], CheckResult], ...] = (
    check_not_empty,
    check_ink_length,
    check_stroke_count,
    check_duration,
    check_inside_box,
    check_not_dot_or_line,
    check_samples_dropped,
)


def run_checks(ink: Ink, thresholds: SignatureThresholds) -> tuple[CheckResult, ...]:
    """Every signature check, in the order of CHECKS."""
    return tuple(check(ink, thresholds) for check in CHECKS)

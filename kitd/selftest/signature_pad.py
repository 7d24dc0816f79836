"""Self-test of the signature pad: ping latency, screen upload, the four corners, pen report rate and the
pad's clock against the host's.

The probe shows four targets on the pad's screen, asks for a tap on each, and measures everything else on
the same pen stream, so the technician acts once. It only uses the SignaturePad interface; it leaves the
pad stopped and its screen cleared.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
from numpy.typing import NDArray

from hal.device import Device
from hal.signpad.base import ButtonPress, PadInfo, PenSample, SignaturePad
from kitd.selftest.context import SelfTestContext
from kitd.selftest.device_probe import DeviceProbe
from kitd.selftest.picture import png_picture
from kitd.selftest.probe import CheckSpec, ProbeItem
from kitd.selftest.prompts import Prompt
from kitd.selftest.result import Picture, Verdict

PING = CheckSpec("signature_pad.ping_latency", "Signature pad ping latency")
UPLOAD = CheckSpec("signature_pad.screen_upload", "Signature pad screen upload")
CORNERS = CheckSpec("signature_pad.corners", "Pen position at the four corners")
PEN_RATE = CheckSpec("signature_pad.pen_rate", "Pen report rate")
CLOCK_DRIFT = CheckSpec("signature_pad.clock_drift", "Pad clock against the host clock")

# Tap targets as fractions of the pad's width and height, in the order the technician taps them.
CORNER_TARGETS: tuple[tuple[float, float], ...] = (
    (0.1, 0.15),
    (0.9, 0.15),
    (0.9, 0.85),
    (0.1, 0.85),
)
PINGS = 10
# Samples further apart than this (device time) belong to separate pen approaches.
RUN_GAP_US = 50_000
# After the last tap, keep reading this long for the pen's lift-off samples.
TAIL_S = 0.3
# The link is called backlogged when samples arrive this much slower than the pad produced them.
BACKLOG_RATIO = 1.2


@dataclass(frozen=True)
class Arrival:
    """A batch of samples and when the host received it (time.monotonic())."""

    samples: tuple[PenSample, ...]
    at: float


class SignaturePadProbe(DeviceProbe):
    """The signature pad's self-test: ping, screen upload, pen corners, pen rate and clock drift."""

    device = "signature_pad"
    noun = "signature pad"
    connection = "its USB cable"
    title = "Signature pad"

    def device_checks(self, context: SelfTestContext) -> tuple[CheckSpec, ...]:
        return (PING, UPLOAD, CORNERS, PEN_RATE, CLOCK_DRIFT)

    def run_device(self, context: SelfTestContext, device: Device) -> Iterator[ProbeItem]:
        pad = cast(SignaturePad, device)
        limits = context.limits
        latencies = []
        for _ in range(PINGS):
            started = time.perf_counter()
            pad.ping()
            latencies.append((time.perf_counter() - started) * 1000.0)
        latency = statistics.median(latencies)
        slow_link = (
            f"The pad answers in {latency:.0f} ms. Plug it straight into the board (no hub), "
            "try another port or cable; if it stays slow, replace the pad."
        )
        yield PING.measured(
            latency, limits.signature_pad_ping, {Verdict.WARN: slow_link, Verdict.FAIL: slow_link}
        )
        info = pad.pad_info
        screen = target_screen(info)
        started = time.perf_counter()
        pad.show_image(screen)
        upload_ms = (time.perf_counter() - started) * 1000.0
        yield UPLOAD.measured(
            upload_ms,
            limits.signature_pad_upload,
            {
                Verdict.WARN: f"Showing a picture on the pad took {upload_ms:.0f} ms: the link is "
                "slow. Plug the pad straight into the board and check the cable.",
                Verdict.FAIL: f"Showing a picture on the pad took {upload_ms:.0f} ms. Replug the "
                "pad, try another cable; if it stays slow the pad's firmware needs service.",
            },
        )
        pad.start()
        try:
            yield Prompt.TAP_CORNERS
            arrivals = collect_taps(pad, limits.interaction_timeout_s)
        finally:
            pad.stop()
        pad.clear()
        samples = [s for a in arrivals for s in a.samples]
        taps = find_taps(samples)
        picture = png_picture(draw_taps(info, samples, taps))
        yield self._corners(context, info, taps, picture)
        if len(samples) < 10:
            for spec in (PEN_RATE, CLOCK_DRIFT):
                yield spec.result(
                    Verdict.SKIPPED, hint="Not run: the pad sent too few pen samples."
                )
            return
        rate, backlog = pen_rate(arrivals)
        yield PEN_RATE.measured(
            rate,
            limits.signature_pad_rate,
            {
                Verdict.WARN: f"The pad reports the pen {rate:.0f} times per second (it says "
                f"{info.rate_hz}): signatures lose detail. Plug the pad straight into the board "
                "(no hub) and check the cable.",
                Verdict.FAIL: f"Only {rate:.0f} pen reports per second reach the board (the pad "
                f"says {info.rate_hz}): the link is too slow or the pad drops samples. Plug the pad "
                "straight into the board, replace the cable; if it stays low, replace the pad.",
            },
        )
        if backlog:
            yield CLOCK_DRIFT.result(
                Verdict.SKIPPED,
                unit="%",
                limit=limits.signature_pad_clock_drift.describe(),
                hint=f"Not measurable while samples arrive late (see {PEN_RATE.id}).",
            )
            return
        drift = clock_drift_percent(arrivals)
        wrong_clock = (
            f"The pad's clock runs {drift:+.1f} % against the board's: signature timing in the "
            "package would be wrong. Replug the pad; if it persists, the pad needs service."
        )
        yield CLOCK_DRIFT.measured(
            abs(drift),
            limits.signature_pad_clock_drift,
            {Verdict.WARN: wrong_clock, Verdict.FAIL: wrong_clock},
        )

    def _corners(
        self,
        context: SelfTestContext,
        info: PadInfo,
        taps: list[tuple[float, float]],
        picture: Picture,
    ) -> ProbeItem:
        limit = context.limits.signature_pad_corner_error
        if len(taps) < len(CORNER_TARGETS):
            return CORNERS.result(
                Verdict.FAIL,
                unit=limit.unit,
                limit=limit.describe(),
                hint=f"Only {len(taps)} of the 4 taps arrived. Tap each target firmly with the pen; "
                "if taps do not register, check the pen (battery, tip) and replug the pad.",
                picture=picture,
            )
        error = corner_error_percent(info, taps)
        hint = (
            f"A tap landed {error:.1f} % of the pad's size away from its target: the pen position "
            "is off. Tap the centres of the targets in order (top left, top right, bottom right, "
            "bottom left); if it stays off, the pad needs calibration or service."
        )
        return CORNERS.measured(
            error,
            limit,
            {Verdict.WARN: hint, Verdict.FAIL: hint},
            picture=picture,
        )


def target_screen(info: PadInfo) -> NDArray[np.uint8]:
    """The pad's screen with the four tap targets, numbered in tapping order."""
    width, height = info.screen_width, info.screen_height
    screen = np.full((height, width), 255, np.uint8)
    radius = max(4, min(width, height) // 14)
    for number, (fx, fy) in enumerate(CORNER_TARGETS, start=1):
        centre = (round(fx * (width - 1)), round(fy * (height - 1)))
        cv2.circle(screen, centre, radius, 0, 2, cv2.LINE_AA)
        cv2.drawMarker(screen, centre, 0, cv2.MARKER_CROSS, radius, 1)
        cv2.putText(
            screen,
            str(number),
            (centre[0] + radius + 2, centre[1] + radius // 2),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5,
            0,
            1,
            cv2.LINE_AA,
        )
    return screen


def collect_taps(pad: SignaturePad, timeout: float) -> list[Arrival]:
    """Pen batches until four taps have ended (plus a short tail), or until `timeout`."""
    arrivals: list[Arrival] = []
    deadline = time.monotonic() + timeout
    tail_until: float | None = None
    samples: list[PenSample] = []
    while True:
        now = time.monotonic()
        end = deadline if tail_until is None else min(deadline, tail_until)
        if now >= end:
            return arrivals
        event = pad.read_event(min(0.05, end - now))
        if event is None or isinstance(event, ButtonPress):
            continue
        arrivals.append(Arrival(tuple(event), time.monotonic()))
        samples.extend(event)
        if tail_until is None and _finished_taps(samples) >= len(CORNER_TARGETS):
            tail_until = time.monotonic() + TAIL_S


def _finished_taps(samples: list[PenSample]) -> int:
    """Pen-down runs that have ended with a lift."""
    count = 0
    down = False
    for sample in samples:
        if sample.tip and not down:
            down = True
        elif not sample.tip and down:
            down = False
            count += 1
    return count


def find_taps(samples: list[PenSample]) -> list[tuple[float, float]]:
    """The median pen position of each pen-down run, in pad units, in the order they happened."""
    taps: list[tuple[float, float]] = []
    run: list[PenSample] = []
    for sample in [*samples, None]:
        if sample is not None and sample.tip:
            run.append(sample)
            continue
        if run:
            taps.append(
                (float(np.median([s.x for s in run])), float(np.median([s.y for s in run])))
            )
            run = []
    return taps


def corner_error_percent(info: PadInfo, taps: list[tuple[float, float]]) -> float:
    """The worst distance of the first four taps from their targets, in percent of the diagonal."""
    diagonal = float(np.hypot(info.max_x, info.max_y))
    worst = 0.0
    for (x, y), (fx, fy) in zip(taps, CORNER_TARGETS, strict=False):
        target_x, target_y = fx * info.max_x, fy * info.max_y
        worst = max(worst, float(np.hypot(x - target_x, y - target_y)) / diagonal * 100.0)
    return worst


def _runs(arrivals: list[Arrival]) -> list[list[tuple[PenSample, float]]]:
    """Samples with their batch's arrival time, split where the pen left the pad's range."""
    runs: list[list[tuple[PenSample, float]]] = []
    previous: PenSample | None = None
    for arrival in arrivals:
        for sample in arrival.samples:
            if previous is None or sample.time_us - previous.time_us > RUN_GAP_US:
                runs.append([])
            runs[-1].append((sample, arrival.at))
            previous = sample
    return [run for run in runs if len(run) >= 2]


def pen_rate(arrivals: list[Arrival]) -> tuple[float, bool]:
    """Pen reports per second that reach the host, and whether they arrived late (a backlog).

    Per run of samples, the span is the longer of the pad's own time span and the host's arrival span:
    a pad that stamps 200 Hz but whose samples trickle over a slow link counts at the rate they arrive.
    """
    intervals = 0
    span = 0.0
    device_span = 0.0
    for run in _runs(arrivals):
        device = (run[-1][0].time_us - run[0][0].time_us) / 1e6
        host = run[-1][1] - run[0][1]
        intervals += len(run) - 1
        span += max(device, host)
        device_span += device
    if span <= 0:
        return 0.0, False
    return intervals / span, span > BACKLOG_RATIO * device_span


def clock_drift_percent(arrivals: list[Arrival]) -> float:
    """How much faster (+) or slower (-) the pad's clock runs than the host's, in percent.

    Uses the lower envelope of (arrival - pad time): the least-delayed batches early and late in the
    recording, so transport jitter does not count as drift.
    """
    points = [(a.samples[-1].time_us / 1e6, a.at) for a in arrivals if a.samples]
    if len(points) < 4:
        return 0.0
    half = len(points) // 2
    early = min(points[:half], key=lambda p: p[1] - p[0])
    late = min(points[half:], key=lambda p: p[1] - p[0])
    device = late[0] - early[0]
    host = late[1] - early[1]
    if host <= 0:
        return 0.0
    return (device - host) / host * 100.0


def draw_taps(
    info: PadInfo, samples: list[PenSample], taps: list[tuple[float, float]]
) -> NDArray[np.uint8]:
    """The pad's area with the targets (circles), the pen path (grey) and the taps (crosses)."""
    width = 600
    height = max(1, round(width * info.max_y / max(1, info.max_x)))
    canvas = np.full((height, width, 3), 255, np.uint8)
    sx, sy = (width - 1) / max(1, info.max_x), (height - 1) / max(1, info.max_y)
    for fx, fy in CORNER_TARGETS:
        centre = (round(fx * (width - 1)), round(fy * (height - 1)))
        cv2.circle(canvas, centre, 14, (0, 160, 0), 2, cv2.LINE_AA)
    points = [(round(s.x * sx), round(s.y * sy)) for s in samples]
    for a, b in itertools.pairwise(points):
        cv2.line(canvas, a, b, (170, 170, 170), 1, cv2.LINE_AA)
    for x, y in taps:
        cv2.drawMarker(canvas, (round(x * sx), round(y * sy)), (0, 0, 220), cv2.MARKER_CROSS, 16, 2)
    cv2.rectangle(canvas, (0, 0), (width - 1, height - 1), (0, 0, 0), 1)
    return canvas

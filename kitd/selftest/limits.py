"""The self-test's limits as data: every figure a check compares against, with its pass and warn bands.

Judging a value is a pure function of the value and its limit; the checks never hard-code a number.
Limits that belong to the kit's own configuration (the free-disk floor, the retention ceiling) come from
kitd.toml, so the self-test measures against what the daemon will enforce.
"""

from __future__ import annotations

from dataclasses import dataclass

from kitd.selftest.result import Verdict


@dataclass(frozen=True)
class AtLeast:
    """Higher is better: pass at `pass_at` or more, warn down to `warn_at`, fail below."""

    pass_at: float
    warn_at: float
    unit: str = ""

    def judge(self, value: float) -> Verdict:
        if value >= self.pass_at:
            return Verdict.PASS
        if value >= self.warn_at:
            return Verdict.WARN
        return Verdict.FAIL

    def describe(self) -> str:
        return f">= {_fmt(self.pass_at)} {self.unit}".rstrip()


@dataclass(frozen=True)
class AtMost:
    """Lower is better: pass at `pass_at` or less, warn up to `warn_at`, fail above."""

    pass_at: float
    warn_at: float
    unit: str = ""

    def judge(self, value: float) -> Verdict:
        if value <= self.pass_at:
            return Verdict.PASS
        if value <= self.warn_at:
            return Verdict.WARN
        return Verdict.FAIL

    def describe(self) -> str:
        return f"<= {_fmt(self.pass_at)} {self.unit}".rstrip()


@dataclass(frozen=True)
class Between:
    """A window: pass inside [low, high], warn inside [warn_low, warn_high], fail outside."""

    low: float
    high: float
    warn_low: float
    warn_high: float
    unit: str = ""

    def judge(self, value: float) -> Verdict:
        if self.low <= value <= self.high:
            return Verdict.PASS
        if self.warn_low <= value <= self.warn_high:
            return Verdict.WARN
        return Verdict.FAIL

    def describe(self) -> str:
        return f"{_fmt(self.low)}..{_fmt(self.high)} {self.unit}".rstrip()


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Limits:
    """The self-test's limits: timeouts and every check's warn and fail bounds."""

    # -- devices: how long to wait for a device to bind before calling it missing ----------------
    bind_timeout_s: float = 10.0
    # How long a step waits for the technician (finger, pen taps, chart).
    interaction_timeout_s: float = 60.0
    # Expected identity, as fnmatch patterns; "*" accepts any non-empty model or firmware.
    camera_model: str = "*"
    camera_firmware: str = "*"
    fingerprint_model: str = "*"
    fingerprint_firmware: str = "*"
    signature_pad_model: str = "*"
    signature_pad_firmware: str = "*"

    # -- camera ------------------------------------------------------------------------------------
    camera_frame_rate: AtLeast = AtLeast(25.0, 15.0, "fps")
    # Lines of the frame: the 35 x 45 mm photo is cropped from it at 827 x 1063 px or less.
    camera_lines: AtLeast = AtLeast(720.0, 480.0, "lines")
    # Mean grey level of the current scene (0..255).
    camera_exposure: Between = Between(70.0, 190.0, 45.0, 215.0, "grey level")
    # Slanted-edge MTF50 on the chart, in cycles per pixel (ISO 12233 style).
    camera_sharpness: AtLeast = AtLeast(0.20, 0.12, "cycles/pixel")
    # Largest colour deviation of the chart's grey steps, in percent of their level.
    camera_grey_balance: AtMost = AtMost(6.0, 12.0, "%")

    # -- fingerprint reader ------------------------------------------------------------------------
    # Fraction of the blank platen darker than the background by more than a ridge would be (percent).
    fingerprint_residue: AtMost = AtMost(0.5, 2.0, "%")
    # Blank-frame spread between the 1st and 99th percentile (grey levels): a clean, even platen
    # is nearly flat; residue, dirt or uneven illumination widen it.
    fingerprint_blank_range: AtMost = AtMost(40.0, 80.0, "grey levels")
    # Pixel noise of the blank frame (robust standard deviation, grey levels).
    fingerprint_noise: AtMost = AtMost(6.0, 12.0, "grey levels")
    # The blank background must be light: 8-bit grey mean.
    fingerprint_background: AtLeast = AtLeast(180.0, 140.0, "grey level")
    fingerprint_ppi: Between = Between(490.0, 510.0, 480.0, 520.0, "ppi")
    # USB link speed in Mbit/s (12 full speed, 480 high speed).
    fingerprint_link_speed: AtLeast = AtLeast(480.0, 12.0, "Mbit/s")

    # -- signature pad -----------------------------------------------------------------------------
    signature_pad_ping: AtMost = AtMost(50.0, 200.0, "ms")
    signature_pad_rate: AtLeast = AtLeast(180.0, 120.0, "Hz")
    # Distance of each corner tap from its target, in percent of the pad's diagonal.
    signature_pad_corner_error: AtMost = AtMost(3.0, 6.0, "%")
    signature_pad_clock_drift: AtMost = AtMost(2.0, 5.0, "%")
    signature_pad_upload: AtMost = AtMost(2000.0, 5000.0, "ms")

    # -- kit ---------------------------------------------------------------------------------------
    # Days before a certificate expires at which the self-test starts to warn.
    certificate_warn_days: float = 30.0
    # Oldest pending package, as a percentage of the retention ceiling.
    outbox_oldest: AtMost = AtMost(50.0, 80.0, "% of retention")
    outbox_backlog: AtMost = AtMost(20.0, 100.0, "packages")
    # Free disk as a multiple of the floor below which the daemon refuses a visit (outbox.min_free_mb).
    disk_headroom_warn: float = 2.0

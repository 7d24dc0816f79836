"""What a self-test produces: one verdict per check, progress while it runs, and the final report.

These are plain values shared by the runner, the report formats (JSON, HTML, kit.v1 messages) and the CLI.
Nothing here measures anything or touches a device.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Verdict(enum.StrEnum):
    """A self-test check's verdict: pass, warn, fail or not run."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    # The check could not run (device absent, prerequisite failed, not reported by this system).
    SKIPPED = "skipped"


class Mode(enum.StrEnum):
    """How a self-test ran: through the daemon or directly on the devices."""

    # The daemon ran the checks on the devices it holds (RunSelfTest).
    DAEMON = "daemon"
    # The CLI opened the devices itself through the HAL.
    DIRECT = "direct"


class ExitCode(enum.IntEnum):
    """kit-selftest's exit codes."""

    ALL_PASS = 0
    WARNINGS = 1
    FAILURES = 2
    COULD_NOT_RUN = 3


class PictureFormat(enum.StrEnum):
    """The media type of a picture attached to a self-test check."""

    JPEG = "image/jpeg"
    PNG = "image/png"


@dataclass(frozen=True)
class Picture:
    """An encoded image for the report (camera still with overlay, blank platen frame, corner taps)."""

    format: PictureFormat
    data: bytes
    width: int
    height: int
    ppi: int = 0


@dataclass(frozen=True)
class CheckResult:
    """One self-test check's figure, limit, verdict and what to do."""

    # Stable id, "<area>.<what>", e.g. "camera.frame_rate" (docs/selftest.md lists them all).
    id: str
    title: str
    verdict: Verdict
    # The measured figure; 0 when the check could not measure (then `hint` says why).
    value: float = 0.0
    unit: str = ""
    # The limit as people read it, e.g. ">= 25 fps".
    limit: str = ""
    # What the technician should do; empty when the check passed.
    hint: str = ""
    picture: Picture | None = None


@dataclass(frozen=True)
class Progress:
    """How far a self-test run is, and which check runs now."""

    check_id: str
    title: str
    # 0..1 over the whole run.
    fraction: float
    # Set when the technician must act ("put a finger on the reader").
    prompt: str = ""


@dataclass(frozen=True)
class Report:
    """A whole self-test run: every check, the mode, the times and the overall verdict."""

    checks: tuple[CheckResult, ...]
    mode: Mode
    # time.time() seconds.
    started_at: float
    finished_at: float
    overall: Verdict = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overall", overall_verdict(self.checks))

    @property
    def exit_code(self) -> ExitCode:
        return exit_code_for(self.overall)

    def check(self, check_id: str) -> CheckResult:
        for result in self.checks:
            if result.id == check_id:
                return result
        raise KeyError(check_id)


def overall_verdict(checks: tuple[CheckResult, ...] | list[CheckResult]) -> Verdict:
    """FAIL if any check failed, else WARN if any warned, else PASS (skipped checks do not count:
    each skip is explained by the failed or absent prerequisite that caused it).
    """
    verdicts = {c.verdict for c in checks}
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if Verdict.WARN in verdicts:
        return Verdict.WARN
    return Verdict.PASS


def exit_code_for(overall: Verdict) -> ExitCode:
    """The command's exit code for an overall verdict."""
    if overall is Verdict.FAIL:
        return ExitCode.FAILURES
    if overall is Verdict.WARN:
        return ExitCode.WARNINGS
    return ExitCode.ALL_PASS

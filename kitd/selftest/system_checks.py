"""Self-test of the board around the devices: free disk, clock synchronisation, the daemon itself.

Clock synchronisation is read from systemd (timedatectl) where the system reports it; elsewhere the check
is skipped rather than guessed. Nothing here changes the system.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

from kitd.selftest.context import SelfTestContext
from kitd.selftest.probe import CheckSpec, Probe, ProbeItem
from kitd.selftest.result import Mode, Verdict

DISK = CheckSpec("disk.free", "Free disk space for visits")
CLOCK = CheckSpec("clock.sync", "Clock synchronised")
DAEMON = CheckSpec("daemon.health", "kitd daemon running")

_MIB = 1024 * 1024
# A board whose clock reads earlier than this has lost its time (no RTC battery, no network).
_EARLIEST_PLAUSIBLE = 1767225600.0  # 2026-01-01


@dataclass(frozen=True)
class ClockStatus:
    """Whether the system clock is synchronised, and from where."""

    # True / False as the system reports it; None when it does not report it.
    synchronised: bool | None
    source: str


def system_clock_status(timeout: float = 3.0) -> ClockStatus:
    """NTPSynchronized from systemd-timedated; None where systemd does not answer."""
    try:
        completed = subprocess.run(
            ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ClockStatus(None, "timedatectl not available")
    answer = completed.stdout.strip().lower()
    if completed.returncode != 0 or answer not in ("yes", "no"):
        return ClockStatus(None, "systemd does not report time synchronisation here")
    return ClockStatus(answer == "yes", "timedatectl")


class SystemProbe(Probe):
    """The self-test of the disk, the clock and the daemon."""

    title = "Disk, clock and daemon"

    def __init__(self, clock_status: ClockStatus | None = None) -> None:
        # Given by tests and by callers that already asked; read from the system otherwise.
        self._clock_status = clock_status

    def checks(self, context: SelfTestContext) -> tuple[CheckSpec, ...]:
        return (DISK, CLOCK, DAEMON)

    def run(self, context: SelfTestContext) -> Iterator[ProbeItem]:
        yield self._disk(context)
        yield self._clock(context)
        yield self._daemon(context)

    def _disk(self, context: SelfTestContext) -> ProbeItem:
        state_dir = context.config.state_dir
        floor_mib = float(context.config.outbox.min_free_mb)
        free_mib = shutil.disk_usage(state_dir).free / _MIB
        warn_mib = floor_mib * context.limits.disk_headroom_warn
        limit = f">= {warn_mib:g} MiB"
        if free_mib < floor_mib:
            return DISK.result(
                Verdict.FAIL,
                value=free_mib,
                unit="MiB",
                limit=limit,
                hint=f"Only {free_mib:.0f} MiB free under {state_dir}; kitd refuses a visit below "
                f"{floor_mib:.0f} MiB. Connect the kit so the outbox can upload, and remove "
                "other files (old logs, copies) from that disk.",
            )
        if free_mib < warn_mib:
            return DISK.result(
                Verdict.WARN,
                value=free_mib,
                unit="MiB",
                limit=limit,
                hint=f"{free_mib:.0f} MiB free under {state_dir}: visits stop below "
                f"{floor_mib:.0f} MiB. Connect the kit so the outbox can upload, and free space.",
            )
        return DISK.result(Verdict.PASS, value=free_mib, unit="MiB", limit=limit)

    def _clock(self, context: SelfTestContext) -> ProbeItem:
        limit = "synchronised"
        if time.time() < _EARLIEST_PLAUSIBLE:
            return CLOCK.result(
                Verdict.FAIL,
                limit=limit,
                hint="The clock reads a date in the past: packages and certificate checks would "
                "be wrong. Connect the kit to the network so it sets its time, or set it by hand, "
                "and have the board's clock battery checked.",
            )
        status = self._clock_status or system_clock_status()
        if status.synchronised is None:
            return CLOCK.result(Verdict.SKIPPED, limit=limit, hint=f"Not checked: {status.source}.")
        if not status.synchronised:
            return CLOCK.result(
                Verdict.WARN,
                value=0,
                limit=limit,
                hint="The clock is not synchronised with a time server: connect the kit to the "
                "network and check that systemd-timesyncd (or chrony) runs.",
            )
        return CLOCK.result(Verdict.PASS, value=1, limit=limit)

    def _daemon(self, context: SelfTestContext) -> ProbeItem:
        daemon = context.daemon
        limit = "serving"
        if context.mode is Mode.DAEMON:
            uptime = time.time() - daemon.started_at if daemon.started_at else 0.0
            return DAEMON.result(Verdict.PASS, value=uptime, unit="s", limit=limit)
        if daemon.serving is None:
            return DAEMON.result(
                Verdict.SKIPPED,
                limit=limit,
                hint=daemon.detail or "No daemon in this mode (simulator demonstration).",
            )
        if daemon.serving:
            return DAEMON.result(
                Verdict.WARN,
                value=1,
                limit=limit,
                hint="kitd is running but the devices were tested directly (--direct): a device "
                "the daemon holds shows as busy. Run kit-selftest without --direct.",
            )
        return DAEMON.result(
            Verdict.FAIL,
            value=0,
            limit=limit,
            hint="kitd is not running, so no visit can be taken"
            + (f" ({daemon.detail})" if daemon.detail else "")
            + ". Start it with `systemctl start kitd`; if it stops again, send the output of "
            "`journalctl -u kitd -n 200` with this report to support.",
        )

"""The kit's trusted clock: a persisted high-water mark of the wall clock, and kit time.

A kit without network for weeks, or with a dead RTC battery, boots with a clock that may be wrong by
months either way. Two promises follow from that:

* **No visit on a clock the kit cannot trust.** The wall clock must not be behind the mark (the latest
  time the kit has vouched for) nor before the release date of this software; otherwise
  `check()` raises ClockUntrusted and a visit does not start (its package would carry a wrong date).
* **Retention counts time on the kit, not dates.** Kit time advances with the monotonic clock while
  the daemon runs (a daemon restarted in the same boot carries on from the monotonic clock too); across
  a reboot it advances by the wall-clock gap only when the clock is not behind the mark and the gap is
  at most `max_offline_s`. A larger gap, or a clock behind the mark, adds nothing: a package is kept
  too long rather than deleted by a clock that moved.

The mark itself follows kit time (mark + monotonic elapsed), and the wall clock only at a start: a
clock that jumps ahead while running is recorded as a jump but does not drag the mark along, so
setting it right again refuses nothing. Jumps (the wall clock moving more than `jump_tolerance_s`
away from the monotonic clock) are returned to the caller, which audits them. The state is one small
JSON file written atomically; a write the disk refuses is retried at the next save.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kitd.durable import fsync_folder, write_fully
from kitd.errors import ClockUntrusted
from kitd.locale.message import Message

log = logging.getLogger(__name__)

FORMAT = "kitd-clock/1"
# The release of this software: a clock before it is certainly wrong.
RELEASE_DATE = datetime(2026, 12, 1, tzinfo=UTC)
JUMP_TOLERANCE_S = 120.0
# Across a reboot, a wall-clock gap up to this counts as time on the kit (a kit switched off for a
# few weeks); a larger one is not believed.
MAX_OFFLINE_S = 31 * 86400.0
SAVE_EVERY_S = 60.0
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def read_boot_id() -> str:
    """The kernel's id of this boot ("" where there is none): the monotonic clock's epoch."""
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


class ClockState(enum.Enum):
    """Whether the wall clock is trusted, behind the persisted mark, or before the release date."""

    TRUSTED = "trusted"
    BEHIND_MARK = "behind_mark"
    BEFORE_RELEASE = "before_release"


class JumpKind(enum.Enum):
    """How the wall clock moved against the time the kit measured."""

    AHEAD = "ahead"
    BEHIND = "behind"
    # Found at a start after a reboot: the gap since the last save was not believed.
    OFFLINE_GAP_UNKNOWN = "offline_gap_unknown"


@dataclass(frozen=True)
class ClockJump:
    """A jump of the wall clock against the time the kit measured, for the audit."""

    kind: JumpKind
    # The wall clock the kit expected (the mark carried forward) and the one it read.
    expected: float
    actual: float

    @property
    def delta_s(self) -> float:
        return self.actual - self.expected

    def fields(self) -> dict[str, object]:
        """The audit record's fields."""
        return {
            "jump": self.kind.value,
            "expected": _iso(self.expected),
            "actual": _iso(self.actual),
            "delta_s": round(self.delta_s, 3),
        }


@dataclass(frozen=True)
class ClockStatus:
    """A reading of the trusted clock: its state, the wall clock, the mark and the kit's time."""

    state: ClockState
    wall: float
    mark: float
    kit_seconds: float


class TrustedClock:
    """The wall clock judged against the persisted mark, and kit time for retention."""

    def __init__(
        self,
        path: Path,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        boot_id: Callable[[], str] = read_boot_id,
        release: datetime = RELEASE_DATE,
        jump_tolerance_s: float = JUMP_TOLERANCE_S,
        max_offline_s: float = MAX_OFFLINE_S,
    ) -> None:
        self._path = path
        self._wall = wall
        self._monotonic = monotonic
        self._boot_id = boot_id()
        self._release = release.timestamp()
        self._tolerance = jump_tolerance_s
        self._max_offline_s = max_offline_s
        self._lock = threading.Lock()
        self._saved_at = -SAVE_EVERY_S
        self.start_jumps: list[ClockJump] = []
        now, mono = wall(), monotonic()
        saved = self._read()
        if saved is None:
            # Kit time starts at the wall clock's reading, so that it reads like a date on a kit
            # whose clock never moved; only its differences matter.
            kit, mark = now, now
        else:
            kit, mark = self._carry_forward(saved, now, mono)
        # Kit time and the mark at the monotonic instant `mono`; both advance with it.
        self._kit_base = kit
        self._mark_base = mark
        self._mono_base = mono
        self._last_wall, self._last_mono = now, mono
        self.save()

    # -- reading -------------------------------------------------------------------------------------

    def wall(self) -> float:
        """The wall clock, as the kit reads it (trusted or not: see `state`)."""
        return self._wall()

    def kit_seconds(self) -> float:
        """Kit time in seconds, counted as the module docstring says from the wall clock's reading at
        the kit's first start; never goes back, never jumps.
        """
        with self._lock:
            return self._kit_base + max(0.0, self._monotonic() - self._mono_base)

    def mark(self) -> float:
        with self._lock:
            return self._mark_locked()

    def state(self) -> ClockState:
        now = self._wall()
        if now < self._release:
            return ClockState.BEFORE_RELEASE
        if now < self.mark() - self._tolerance:
            return ClockState.BEHIND_MARK
        return ClockState.TRUSTED

    def check(self) -> None:
        """Raises ClockUntrusted, saying what to do, unless a visit may start on this clock."""
        now = self._wall()
        state = self.state()
        if state is ClockState.BEFORE_RELEASE:
            raise ClockUntrusted(
                Message.of(
                    "error.clock_before_release", now=_iso(now), release=_iso(self._release)
                ),
                clock_state=state.value,
            )
        if state is ClockState.BEHIND_MARK:
            raise ClockUntrusted(
                Message.of("error.clock_behind", now=_iso(now), mark=_iso(self.mark())),
                clock_state=state.value,
            )

    def status(self) -> ClockStatus:
        return ClockStatus(self.state(), self._wall(), self.mark(), self.kit_seconds())

    # -- following the clock -------------------------------------------------------------------------

    def observe(self) -> list[ClockJump]:
        """Compares the wall clock with the monotonic clock since the last call; returns the jumps
        (the caller audits them) and saves the state every minute or after a jump.
        """
        with self._lock:
            now, mono = self._wall(), self._monotonic()
            expected = self._last_wall + (mono - self._last_mono)
            jumps = []
            if abs(now - expected) > self._tolerance:
                kind = JumpKind.AHEAD if now > expected else JumpKind.BEHIND
                jumps.append(ClockJump(kind, expected, now))
            self._last_wall, self._last_mono = now, mono
            due = jumps or mono - self._saved_at >= SAVE_EVERY_S
        if due:
            self.save()
        return jumps

    def save(self) -> None:
        """Persists kit time and the mark; a disk that refuses is told again at the next save."""
        with self._lock:
            mono = self._monotonic()
            state = {
                "format": FORMAT,
                "kit_seconds": self._kit_base + max(0.0, mono - self._mono_base),
                "mark": self._mark_locked(),
                "boot_id": self._boot_id,
                "monotonic": mono,
            }
            try:
                _write_atomic(self._path, json.dumps(state).encode())
            except OSError as exc:
                log.warning("clock state not saved", extra={"error": str(exc)})
                return
            self._saved_at = mono

    # -- internals -----------------------------------------------------------------------------------

    def _mark_locked(self) -> float:
        return self._mark_base + max(0.0, self._monotonic() - self._mono_base)

    def _carry_forward(
        self, saved: dict[str, float | str], now: float, mono: float
    ) -> tuple[float, float]:
        """Kit time and the mark now, from the saved state."""
        kit, mark = float(saved["kit_seconds"]), float(saved["mark"])
        saved_mono = float(saved["monotonic"])
        if saved["boot_id"] == self._boot_id and self._boot_id and mono >= saved_mono:
            # Same boot: the monotonic clock measured the time in between exactly.
            elapsed = mono - saved_mono
            expected = mark + elapsed
            if abs(now - expected) > self._tolerance:
                kind = JumpKind.AHEAD if now > expected else JumpKind.BEHIND
                self.start_jumps.append(ClockJump(kind, expected, now))
            return kit + elapsed, expected
        # Rebooted: only the wall clock says how long the kit was off.
        gap = now - mark
        if 0.0 <= gap <= self._max_offline_s:
            return kit + gap, now
        kind = JumpKind.BEHIND if gap < 0 else JumpKind.OFFLINE_GAP_UNKNOWN
        self.start_jumps.append(ClockJump(kind, mark, now))
        return kit, max(mark, now)

    def _read(self) -> dict[str, float | str] | None:
        try:
            state = json.loads(self._path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            # A state the kit cannot read vouches for nothing: counted from here, as on a new kit.
            log.warning("clock state unreadable, starting afresh", extra={"error": str(exc)})
            return None
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            return None
        return state


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_fully(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_folder(path.parent)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

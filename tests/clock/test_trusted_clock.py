"""The kit's trusted clock: a mark the clock may not fall behind, jumps found and kit time that a moved
clock does not advance. Time comes from the clock's own seams (wall, monotonic, boot id)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kitd.clock.trusted import MAX_OFFLINE_S, ClockState, JumpKind, TrustedClock
from kitd.errors import ClockUntrusted

DAY = 86400.0
NOW = 1_830_000_000.0  # 2027-12-28, a year after the release


@dataclass
class Time:
    """The machine's time as the clock reads it: the wall clock, the monotonic clock and the boot."""

    wall: float = NOW
    mono: float = 1000.0
    boot: str = "boot-1"

    def passes(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds

    def reboot(self, off_for: float) -> None:
        self.wall += off_for
        self.mono = 5.0
        self.boot = f"{self.boot}+"

    def clock(self, path: Path) -> TrustedClock:
        return TrustedClock(
            path, wall=lambda: self.wall, monotonic=lambda: self.mono, boot_id=lambda: self.boot
        )


def test_a_clock_set_back_below_the_mark_refuses_visits_after_a_restart(tmp_path: Path) -> None:
    time = Time()
    time.clock(tmp_path / "clock.json")
    time.passes(3600)
    time.wall -= 100 * DAY
    restarted = time.clock(tmp_path / "clock.json")
    assert restarted.state() is ClockState.BEHIND_MARK
    with pytest.raises(ClockUntrusted) as caught:
        restarted.check()
    assert caught.value.message is not None and caught.value.message.id == "error.clock_behind"
    assert [j.kind for j in restarted.start_jumps] == [JumpKind.BEHIND]


def test_a_clock_behind_the_mark_after_a_reboot_refuses_visits(tmp_path: Path) -> None:
    time = Time()
    time.clock(tmp_path / "clock.json")
    time.reboot(off_for=-30 * DAY)  # a flat RTC battery: the board boots with an older time
    restarted = time.clock(tmp_path / "clock.json")
    assert restarted.state() is ClockState.BEHIND_MARK
    assert restarted.kit_seconds() == pytest.approx(NOW)  # no time counted for the unknown gap


def test_kit_time_starts_at_the_wall_clock_of_the_first_start(tmp_path: Path) -> None:
    assert Time().clock(tmp_path / "clock.json").kit_seconds() == NOW


def test_a_clock_before_the_release_refuses_visits_on_a_new_kit(tmp_path: Path) -> None:
    time = Time(wall=NOW - 400 * DAY)
    clock = time.clock(tmp_path / "clock.json")
    assert clock.state() is ClockState.BEFORE_RELEASE
    with pytest.raises(ClockUntrusted) as caught:
        clock.check()
    assert caught.value.message is not None
    assert caught.value.message.id == "error.clock_before_release"


def test_a_jump_ahead_while_running_is_found_and_does_not_age_the_kit(tmp_path: Path) -> None:
    time = Time()
    clock = time.clock(tmp_path / "clock.json")
    time.passes(10)
    assert clock.observe() == []
    time.wall += 100 * DAY
    jumps = clock.observe()
    assert [j.kind for j in jumps] == [JumpKind.AHEAD]
    assert jumps[0].delta_s == pytest.approx(100 * DAY)
    assert clock.kit_seconds() == pytest.approx(NOW + 10.0)
    # Set right again: the mark did not follow the jump, so nothing is refused.
    time.wall -= 100 * DAY
    assert [j.kind for j in clock.observe()] == [JumpKind.BEHIND]
    assert clock.state() is ClockState.TRUSTED


def test_a_restart_in_the_same_boot_counts_the_monotonic_clock_not_the_wall(
    tmp_path: Path,
) -> None:
    time = Time()
    time.clock(tmp_path / "clock.json")
    time.passes(60)
    time.wall += 100 * DAY
    restarted = time.clock(tmp_path / "clock.json")
    assert restarted.kit_seconds() == pytest.approx(NOW + 60.0)
    assert [j.kind for j in restarted.start_jumps] == [JumpKind.AHEAD]
    assert restarted.state() is ClockState.TRUSTED


def test_weeks_switched_off_count_as_time_on_the_kit_months_do_not(tmp_path: Path) -> None:
    time = Time()
    time.clock(tmp_path / "clock.json")
    time.reboot(off_for=20 * DAY)
    assert time.clock(tmp_path / "clock.json").kit_seconds() == pytest.approx(NOW + 20 * DAY)
    time.reboot(off_for=MAX_OFFLINE_S + DAY)
    after_months = time.clock(tmp_path / "clock.json")
    assert after_months.kit_seconds() == pytest.approx(NOW + 20 * DAY)
    assert [j.kind for j in after_months.start_jumps] == [JumpKind.OFFLINE_GAP_UNKNOWN]


def test_an_unreadable_state_starts_afresh(tmp_path: Path) -> None:
    (tmp_path / "clock.json").write_text("{not json")
    clock = Time().clock(tmp_path / "clock.json")
    assert clock.state() is ClockState.TRUSTED
    assert clock.kit_seconds() == NOW

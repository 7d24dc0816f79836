"""Retention counts the time a package has been on the kit, by the kit's own clock: a package never
delivered is never deleted because the wall clock moved; it is held and reported instead."""

from __future__ import annotations

import time
from pathlib import Path

from kitd.clock.trusted import TrustedClock
from kitd.outbox.outbox import Outbox
from kitd.outbox.state import PackageState
from support.back_office import BackOffice

DAY = 86400.0


class Machine:
    """The wall clock, the monotonic clock and the boot, as the kit's clocks read them."""

    def __init__(self) -> None:
        self.wall = time.time()
        self.mono = 1000.0
        self.boot = "boot-1"

    def clock(self, path: Path) -> TrustedClock:
        return TrustedClock(
            path, wall=lambda: self.wall, monotonic=lambda: self.mono, boot_id=lambda: self.boot
        )

    def outbox(self, back_office: BackOffice) -> Outbox:
        """The outbox as the daemon opens it at a start, with the kit's clocks."""
        clock = self.clock(back_office.root / "clock.json")
        return Outbox(
            back_office.outbox_config("", retention_days=90),
            clock=lambda: self.wall,
            kit_clock=clock.kit_seconds,
        )


def test_a_clock_100_days_ahead_at_a_restart_deletes_nothing_and_reports_the_package(
    back_office: BackOffice,
) -> None:
    machine = Machine()
    entry = machine.outbox(back_office).enqueue(back_office.small_package())
    machine.mono += 5
    machine.wall += 100 * DAY + 5
    reopened = machine.outbox(back_office)  # the start-up sweep runs here
    kept = reopened.get(entry.package_id)
    assert kept.state is PackageState.SEALED
    assert Path(kept.path).is_file()
    assert kept.held
    assert reopened.status().held == 1
    assert reopened.sweep_retention() == []


def test_a_package_sealed_on_a_clock_400_days_behind_survives_the_clock_set_right(
    back_office: BackOffice,
) -> None:
    machine = Machine()
    machine.wall -= 400 * DAY  # a flat RTC battery; the package's header carries this date
    outbox = machine.outbox(back_office)
    entry = outbox.enqueue(back_office.small_package(sealed_at=machine.wall))
    machine.mono += 60
    machine.wall += 400 * DAY + 60  # the network sets the clock right
    reopened = machine.outbox(back_office)
    assert reopened.get(entry.package_id).state is PackageState.SEALED
    assert reopened.status().held == 1


def test_ninety_days_on_the_kit_still_delete_a_package_the_ceiling_is_kept(
    back_office: BackOffice,
) -> None:
    machine = Machine()
    clock = machine.clock(back_office.root / "clock.json")
    outbox = Outbox(
        back_office.outbox_config("", retention_days=90),
        clock=lambda: machine.wall,
        kit_clock=clock.kit_seconds,
    )
    entry = outbox.enqueue(back_office.small_package())
    machine.mono += 89 * DAY
    machine.wall += 89 * DAY
    assert outbox.sweep_retention() == []
    machine.mono += 1 * DAY + 1
    machine.wall += 1 * DAY + 1
    assert outbox.sweep_retention() == [entry.package_id]
    assert outbox.get(entry.package_id).state is PackageState.DELETED


def test_a_retry_planned_before_the_clock_went_back_is_due_now(back_office: BackOffice) -> None:
    now = [time.time()]
    config = back_office.outbox_config("https://127.0.0.1:9", backoff_max_s=900.0)
    outbox = Outbox(config, clock=lambda: now[0])
    outbox.enqueue(back_office.small_package())
    assert outbox.flush(force=False).failed == 1  # nobody listens on port 9: a retry is planned
    now[0] -= 400 * DAY
    assert outbox.flush(force=False).failed == 1  # tried again now, not in 400 days

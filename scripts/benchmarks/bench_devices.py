"""Device supervision as the app sees it: from an unplug in the simulator to the ABSENT event on a
WatchDeviceEvents stream, and from the replug to READY, per device kind (the daemon and simulators run
as separate processes, as in CI)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from figures import Context, Figure

from kitharness.measures import median

ROUNDS = 5


def run(ctx: Context) -> list[Figure]:
    from kitharness.kit import ALL_DEVICES, KitUnderTest

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="kitd-bench-") as tmp, KitUnderTest(Path(tmp)) as kit:
        assert kit.watch is not None
        for name in ALL_DEVICES:
            lost: list[float] = []
            back: list[float] = []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                kit.ctl(name, "unplug")
                if kit.watch.wait(name, "absent", 10):
                    lost.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                kit.ctl(name, "replug")
                if kit.watch.wait(name, "ready", 10):
                    back.append((time.perf_counter() - start) * 1000)
            figures += [
                Figure(
                    "devices",
                    f"{name}: unplug to ABSENT event (median)",
                    median(lost),
                    "ms",
                    ("<=", 1000.0),
                ),
                Figure(
                    "devices",
                    f"{name}: replug to READY event (median)",
                    median(back),
                    "ms",
                    ("<=", 2000.0),
                ),
            ]
    return figures

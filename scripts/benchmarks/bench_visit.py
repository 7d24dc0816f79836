"""The whole scripted eID visit through gRPC against the simulators, and the machine's share of it.

Wall time covers everything a real visit has; the citizen's own time in it (the simulated signing, played
at the pad's real 200 Hz) is subtracted to give the machine overhead. Per-step figures show where the
machine's time goes: the photo (auto-capture, including its settling window), each finger (placement to
captured), signature end to result, and sealing into the outbox.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from figures import Context, Figure

from kitharness.measures import median

RUNS = 3


def run(ctx: Context) -> list[Figure]:
    from kitharness.kit import KitUnderTest
    from kitharness.visit import LEFT_INDEX, RIGHT_INDEX, Visit

    walls: list[float] = []
    overheads: list[float] = []
    faces: list[float] = []
    fingers: list[float] = []
    seals: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kitd-bench-") as tmp, KitUnderTest(Path(tmp)) as kit:
        for _ in range(RUNS):
            start = time.perf_counter()
            visit = Visit(kit, "be-eid", 40)
            t = time.perf_counter()
            visit.face()
            faces.append((time.perf_counter() - t) * 1000)
            for finger in (RIGHT_INDEX, LEFT_INDEX):
                t = time.perf_counter()
                visit.finger(finger, quality=0.9)
                fingers.append((time.perf_counter() - t) * 1000)
            events = visit.sign()
            samples = [
                s for e in events if e.WhichOneof("event") == "samples" for s in e.samples.samples
            ]
            signing_s = (samples[-1].time_us - samples[0].time_us) / 1e6 if samples else 0.0
            t = time.perf_counter()
            visit.finalize()
            seals.append((time.perf_counter() - t) * 1000)
            wall = time.perf_counter() - start
            walls.append(wall)
            overheads.append(wall - signing_s)
    return [
        Figure("visit", "scripted eID visit wall time (median)", median(walls), "s"),
        Figure("visit", "machine overhead (wall minus signing time)", median(overheads), "s"),
        Figure("visit", "photo: auto-capture call (median)", median(faces), "ms"),
        Figure("visit", "finger: placed to captured (median)", median(fingers), "ms"),
        Figure("visit", "finalize: seal and enqueue (median)", median(seals), "ms"),
    ]

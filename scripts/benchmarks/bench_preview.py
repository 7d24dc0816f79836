"""Live guidance as the app receives it: StreamFacePreview over gRPC at 720p with every face check, the
camera simulator and the daemon in their own processes. Latency runs from the camera frame's grab in the
daemon to its arrival in the client (same clock: one machine)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from figures import Context, Figure

from kitharness.measures import median, percentile

WARMUP = 15
FRAMES = 150


def run(ctx: Context) -> list[Figure]:
    from kit.v1 import capture_service_pb2 as pb
    from kitharness.kit import KitUnderTest
    from kitharness.visit import Visit

    options = {"camera": {"width": 1280, "height": 720, "fps": 30}}
    with (
        tempfile.TemporaryDirectory(prefix="kitd-bench-") as tmp,
        KitUnderTest(Path(tmp), devices=("camera",), sim_options=options) as kit,
    ):
        visit = Visit(kit, "be-kids-id", 9)
        stream = visit.client.capture.StreamFacePreview(
            pb.StreamFacePreviewRequest(session_id=visit.id, max_size=640), metadata=visit.md
        )
        latencies: list[float] = []
        arrivals: list[float] = []
        checks = 0
        for index, response in enumerate(stream):
            now = time.time()
            if index < WARMUP:
                continue
            grabbed = response.frame.grabbed_at.ToNanoseconds() / 1e9
            latencies.append((now - grabbed) * 1000)
            arrivals.append(now)
            checks = len(response.frame.checks)
            if len(arrivals) >= FRAMES:
                break
        stream.cancel()
        visit.cancel()
    fps = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    return [
        Figure(
            "preview",
            "720p preview over gRPC, all checks",
            fps,
            "fps",
            (">=", 25.0),
            extra={"checks_per_frame": checks},
        ),
        Figure(
            "preview",
            "grab to client latency (p95)",
            percentile(latencies, 0.95),
            "ms",
            ("<=", 60.0),
        ),
        Figure("preview", "grab to client latency (median)", median(latencies), "ms"),
    ]

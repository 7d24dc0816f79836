"""Camera: delivered frame rate and latency of the opencv driver reading the simulator, at 720p and 1080p.

Latency is measured per frame from the simulator publishing it (the `kitd-stamp` JPEG comment carries
its CLOCK_MONOTONIC send time) to the driver handing it out (`Frame.grabbed_at`, taken after the read,
before decoding), plus the driver's JPEG decode time; and how long an unplug takes to be noticed.
The simulator runs in its own process, as in CI.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import cv2
from figures import Context, Figure

from kitharness.measures import median, percentile
from kitharness.sim_process import SimProcess

SECONDS = 5.0


def _simulated_camera(workdir: Path, width: int, height: int) -> SimProcess:
    """The camera simulator in its own process, serving its stream on loopback as on a kit."""
    return SimProcess("camera", workdir, width=width, height=height, fps=30)


def _measure(ctx: Context, width: int, height: int) -> list[Figure]:
    from hal.camera.opencv import StreamFrame, decode_jpeg
    from hal.registry import resolve

    group = f"camera {height}p"
    with (
        tempfile.TemporaryDirectory(prefix="camera-bench-") as workdir,
        _simulated_camera(Path(workdir), width, height) as sim,
    ):
        camera = resolve(sim.source, name="camera")
        camera.open()
        try:
            frames = camera.frames(timeout=5.0)  # type: ignore[attr-defined]
            for _ in range(10):
                next(frames)  # warm-up
            latencies, count, start = [], 0, time.monotonic()
            while time.monotonic() - start < SECONDS:
                frame = next(frames)
                count += 1
                if isinstance(frame, StreamFrame) and frame.sent_at is not None:
                    latencies.append((frame.grabbed_at - frame.sent_at) * 1000.0)
            fps = count / (time.monotonic() - start)
            ok, jpeg = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            assert ok
            data = jpeg.tobytes()
            decode = []
            for _ in range(30):
                t0 = time.perf_counter()
                decode_jpeg(data)
                decode.append((time.perf_counter() - t0) * 1000.0)

            noticed = threading.Event()
            camera.add_link_lost_listener(lambda _e: noticed.set())
            t0 = time.monotonic()
            sim.control("unplug")
            noticed.wait(10.0)
            unplug_ms = (time.monotonic() - t0) * 1000.0
        finally:
            camera.close()
    return [
        Figure(group, "delivered frame rate", fps, "fps", (">=", 29.0)),
        Figure(group, "latency publish->read, median", median(latencies), "ms"),
        Figure(group, "latency publish->read, p95", percentile(latencies, 0.95), "ms"),
        Figure(group, "JPEG decode in the driver, median", median(decode), "ms"),
        Figure(group, "unplug noticed after", unplug_ms, "ms", ("<=", 1000.0)),
    ]


def run(ctx: Context) -> list[Figure]:
    return _measure(ctx, 1280, 720) + _measure(ctx, 1920, 1080)

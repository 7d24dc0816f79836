"""`load`: 8 clients hammer ListDevices, WatchDeviceEvents and the face preview while full eID visits
run back to back.

The visit's wall time and the daemon's CPU time per visit are compared with the idle figure, and the
daemon's RSS, threads and fds are sampled for the whole duration (slope by least squares).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import psutil

from campaigns.campaign import Campaign, Result, never_fails
from campaigns.measures import slope_per_minute
from kit.v1 import capture_service_pb2 as cpb
from kit.v1 import device_service_pb2 as dpb
from kitd.client import KitClient
from kitharness.kit import KitUnderTest
from kitharness.measures import median
from kitharness.visit import Visit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--idle-visits", type=int, default=3)
    parser.add_argument("--sample-s", type=float, default=10.0)


class LoadClients:
    """N clients, each holding a WatchDeviceEvents stream and looping ListDevices and a short face
    preview of the running visit; every loop is paced and stops with `stop`."""

    def __init__(self, kit: KitUnderTest, count: int) -> None:
        self.kit = kit
        self.stop_event = threading.Event()
        self.session_id = ""
        self.calls = {"list_devices": 0, "preview_frames": 0, "watch_events": 0}
        self.errors: dict[str, int] = {}
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(count)]

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.calls[key] += n

    def _error(self, where: str, exc: grpc.RpcError) -> None:
        key = f"{where}:{exc.code().name}"
        with self._lock:
            self.errors[key] = self.errors.get(key, 0) + 1

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _client(self) -> None:
        assert self.kit.daemon is not None
        client = KitClient(self.kit.daemon.endpoint)
        watch = client.devices.WatchDeviceEvents(
            dpb.WatchDeviceEventsRequest(include_current=True), metadata=client.metadata
        )
        watcher = threading.Thread(target=self._watch, args=(watch,), daemon=True)
        watcher.start()
        try:
            while not self.stop_event.is_set():
                try:
                    for _ in range(20):
                        client.devices.ListDevices(
                            dpb.ListDevicesRequest(), metadata=client.metadata, timeout=5
                        )
                        self._count("list_devices")
                    if self.session_id:
                        self._preview(client)
                except grpc.RpcError as exc:
                    self._error("list_devices", exc)
                self.stop_event.wait(0.05)
        finally:
            watch.cancel()
            watcher.join(2)
            client.close()

    def _watch(self, stream: Any) -> None:
        with contextlib.suppress(grpc.RpcError):
            for _ in stream:
                self._count("watch_events")

    def _preview(self, client: Any) -> None:
        stream = client.capture.StreamFacePreview(
            cpb.StreamFacePreviewRequest(session_id=self.session_id, max_size=320),
            metadata=client.metadata,
            timeout=5,
        )
        try:
            for index, _ in enumerate(stream):
                self._count("preview_frames")
                if index >= 10 or self.stop_event.is_set():
                    break
        except grpc.RpcError as exc:
            if exc.code() is not grpc.StatusCode.CANCELLED:
                self._error("preview", exc)
        finally:
            stream.cancel()

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(10)


def one_visit(
    kit: KitUnderTest, process: psutil.Process, load: LoadClients | None
) -> tuple[float, float]:
    """One full eID visit; returns its wall time and the daemon's CPU seconds during it."""
    cpu0 = sum(process.cpu_times()[:2])
    began = time.monotonic()
    visit = Visit(kit)
    if load is not None:
        load.session_id = visit.id
    try:
        visit.face()
        visit.finger()
        visit.finger()
        visit.sign()
        visit.finalize()
    finally:
        if load is not None:
            load.session_id = ""
        visit.cancel()
    return time.monotonic() - began, sum(process.cpu_times()[:2]) - cpu0


def run(options: argparse.Namespace) -> Result:
    """Idle visits first, then visits under load for `--minutes`, sampled every `--sample-s`."""
    root = Path(tempfile.mkdtemp(prefix="kitd-soak-load-"))
    with KitUnderTest(root) as kit:
        assert kit.daemon is not None and kit.daemon.process is not None
        process = psutil.Process(kit.daemon.process.pid)
        idle = [one_visit(kit, process, None) for _ in range(options.idle_visits)]
        before = {"threads": process.num_threads(), "fds": process.num_fds()}
        load = LoadClients(kit, options.clients)
        load.start()
        samples: list[tuple[float, float]] = []
        loaded: list[tuple[float, float]] = []
        threads: list[int] = []
        fds: list[int] = []
        started = time.monotonic()
        next_sample = started
        try:
            while time.monotonic() - started < options.minutes * 60:
                loaded.append(one_visit(kit, process, load))
                now = time.monotonic()
                if now >= next_sample:
                    samples.append((now - started, process.memory_info().rss / 2**20))
                    threads.append(process.num_threads())
                    fds.append(process.num_fds())
                    next_sample = now + options.sample_s
                    print(
                        f"{(now - started) / 60:5.1f} min  visits {len(loaded):4}  "
                        f"rss {samples[-1][1]:6.1f} MB  threads {threads[-1]}  fds {fds[-1]}",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            load.stop()
        after = {"threads": process.num_threads(), "fds": process.num_fds()}
        settled = [s for s in samples if s[0] >= min(120.0, options.minutes * 60 / 4)]
        idle_wall, idle_cpu = median([w for w, _ in idle]), median([c for _, c in idle])
        load_wall, load_cpu = median([w for w, _ in loaded]), median([c for _, c in loaded])
        return {
            "mode": "load",
            "minutes": options.minutes,
            "clients": options.clients,
            "visits_idle": len(idle),
            "visits_loaded": len(loaded),
            "visit_wall_s_idle": round(idle_wall, 2),
            "visit_wall_s_loaded": round(load_wall, 2),
            "visit_wall_ratio": round(load_wall / idle_wall, 2) if idle_wall else 0.0,
            "visit_daemon_cpu_s_idle": round(idle_cpu, 2),
            "visit_daemon_cpu_s_loaded": round(load_cpu, 2),
            "calls": load.calls,
            "client_errors": load.errors,
            "rss_mb_first": round(samples[0][1], 1) if samples else 0.0,
            "rss_mb_last": round(samples[-1][1], 1) if samples else 0.0,
            "rss_mb_max": round(max(v for _, v in samples), 1) if samples else 0.0,
            "rss_slope_mb_per_min": round(slope_per_minute(samples), 3),
            "rss_slope_mb_per_min_after_warmup": round(slope_per_minute(settled), 3),
            "threads_before_after": [before["threads"], after["threads"]],
            "fds_before_after": [before["fds"], after["fds"]],
            "threads_max": max(threads, default=0),
            "fds_max": max(fds, default=0),
            "rss_samples": [[round(t, 1), round(v, 2)] for t, v in samples],
        }


CAMPAIGN = Campaign(
    "load",
    "8 clients hammering while visits run; RSS over time",
    add_arguments,
    run,
    never_fails,
    description=__doc__ or "",
)

"""Daemon start-up: time from exec to systemd READY, and resident memory once idle.

Runs the real `kitd serve` against the simulators (the embedded defaults), as systemd would start it,
with a NOTIFY_SOCKET that records READY.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import Context, Figure

from kitharness.measures import median

RUNS = 5


def _wait_ready(sock: socket.socket, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(4096)
        except TimeoutError:
            return False
        if b"READY=1" in data:
            return True
    return False


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def run(ctx: Context) -> list[Figure]:
    from kitsim.harness import SimulatorSet

    with tempfile.TemporaryDirectory(prefix="kitd-bench-") as tmp:
        root = Path(tmp)
        sims = SimulatorSet(root / "sims")
        sims.start()
        try:
            config = root / "kitd.toml"
            config.write_text(
                f'kit_id = "BENCH"\nstate_dir = "{root / "state"}"\n[api]\n'
                f'socket = "{root / "run" / "kitd.sock"}"\n\n'
                + (root / "sims" / "kitsim.toml").read_text()
            )
            ready_ms: list[float] = []
            rss: list[float] = []
            for i in range(RUNS):
                notify_path = root / f"notify-{i}.sock"
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                sock.bind(str(notify_path))
                start = time.perf_counter()
                process = subprocess.Popen(
                    [sys.executable, "-m", "kitd.cli.daemon", "serve", "--config", str(config)],
                    env={**os.environ, "NOTIFY_SOCKET": str(notify_path)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                ok = _wait_ready(sock, 30.0)
                ready_ms.append((time.perf_counter() - start) * 1000.0 if ok else float("inf"))
                time.sleep(2.0)  # idle: devices bound, models loaded, caches settled
                rss.append(_rss_mb(process.pid))
                process.send_signal(signal.SIGTERM)
                process.wait(10)
                sock.close()
        finally:
            sims.stop()
    return [
        Figure("daemon", "start to READY (median)", median(ready_ms), "ms", ("<=", 2000.0)),
        Figure("daemon", "idle RSS with devices and models", max(rss), "MB", ("<=", 250.0)),
    ]

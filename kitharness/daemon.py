"""Runs the real daemon (`kitd serve`) as a subprocess on a socket of its own, waited for through sd_notify."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from kitd.client import Endpoint, KitClient
from kitharness.notify import NotifyRecorder

READY_TIMEOUT = 30.0
# The kit id of every configuration written here.
KIT_ID = "TEST-KIT"
# What gRPC logs when an exception escapes a servicer: the daemon must map every one to a typed status.
UNTYPED_STATUS_MARKS = ("Exception iterating responses", "Exception calling application")


def write_config(
    directory: Path,
    devices: dict[str, str] | None = None,
    extra: str = "",
    api: dict[str, int] | None = None,
) -> Path:
    """A daemon configuration; `api` adds settings to its [api] table (the stream caps)."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = [
        f'kit_id = "{KIT_ID}"',
        f'state_dir = "{directory / "state"}"',
        "",
        "[api]",
        f'socket = "{directory / "run" / "kitd.sock"}"',
        *(f"{name} = {value}" for name, value in (api or {}).items()),
        "",
        "[logging]",
        'level = "debug"',
    ]
    for name, source in (devices or {}).items():
        lines += ["", f"[devices.{name}]", f'source = "{source}"']
    path = directory / "kitd.toml"
    path.write_text("\n".join(lines) + "\n" + textwrap.dedent(extra))
    return path


class RunningDaemon:
    """`kitd serve --config PATH` with a recording NOTIFY_SOCKET; `start()` returns once READY.
    `cwd` is where it runs (the checkout by default, whose kitd is first on the import path)."""

    def __init__(
        self, config: Path, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        self.config = config
        self.cwd = cwd
        self.notify = NotifyRecorder(config.parent / "notify.sock")
        self.log_path = config.parent / "kitd.log"
        self.env = {**os.environ, "NOTIFY_SOCKET": str(self.notify.path), **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self._client: KitClient | None = None

    def launch(self) -> subprocess.Popen[bytes]:
        """Starts the process and returns at once, ready or not (a kill during start-up)."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kitd.cli.daemon", "serve", "--config", str(self.config)],
                stdout=log,
                stderr=log,
                env=self.env,
                cwd=self.cwd,
            )
        return self.process

    def start(self, timeout: float = READY_TIMEOUT) -> RunningDaemon:
        process = self.launch()
        # READY, or the process ending first (a refused start), whichever comes first.
        deadline = time.monotonic() + timeout
        while not self.notify.wait_for("READY=1", min(0.2, max(0.0, deadline - time.monotonic()))):
            if process.poll() is not None or time.monotonic() >= deadline:
                self.stop()
                raise RuntimeError(f"kitd did not become ready:\n{self.log()}")
        return self

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint.from_config(self.config)

    @property
    def client(self) -> KitClient:
        if self._client is None:
            self._client = KitClient(self.endpoint)
        return self._client

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 10.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.notify.close()
        if self.log_path.exists():
            log = self.log()
            found = [mark for mark in UNTYPED_STATUS_MARKS if mark in log]
            assert not found, f"{self.log_path}: gRPC reported an untyped status ({found})"

    def __enter__(self) -> RunningDaemon:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

"""Starts simulated devices as separate processes and puts one control API in front of them.

`SimulatorSet` is what `kitsim up`, the test fixtures, the demo and `kit-selftest --sim` use. Each device
runs in its own process (python -m kitsim.process); the set waits for every device to announce its
source, writes the kitd configuration fragment, and routes `DEVICE/COMMAND` control requests to the
device's own control socket.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kitsim import control
from kitsim.catalogue import SIMULATORS

CONFIG_FRAGMENT = "kitsim.toml"
CONTROL_SOCKET = "control.sock"


class SimulatorError(Exception):
    """A simulator did not start or stopped unexpectedly."""


class SimulatorSet:
    """A set of simulators started together, with the sources kitd needs."""

    def __init__(
        self,
        workdir: Path,
        names: list[str] | None = None,
        options: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.workdir = workdir.resolve()
        self.names = list(names or SIMULATORS)
        self.options = options or {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self._server: control.ControlServer | None = None

    @property
    def sources(self) -> dict[str, str]:
        return {name: record["source"] for name, record in self.records.items()}

    def start(self, timeout: float = 60.0) -> dict[str, str]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            (self.workdir / f"{name}.json").unlink(missing_ok=True)
            log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
            self.processes[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kitsim.process",
                    name,
                    "--dir",
                    str(self.workdir),
                    "--options",
                    json.dumps(self.options.get(name, {})),
                ],
                stdout=log,
                stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            log.close()
        deadline = time.monotonic() + timeout
        pending = set(self.names)
        while pending:
            for name in list(pending):
                announced = self.workdir / f"{name}.json"
                if announced.exists():
                    self.records[name] = json.loads(announced.read_text())
                    pending.discard(name)
                elif self.processes[name].poll() is not None:
                    self.stop()
                    tail = (self.workdir / f"{name}.log").read_text(errors="replace")[-2000:]
                    raise SimulatorError(f"simulator {name!r} exited while starting:\n{tail}")
            if pending and time.monotonic() > deadline:
                self.stop()
                raise SimulatorError(
                    f"simulators did not start within {timeout:.0f} s: {sorted(pending)}"
                )
            if pending:
                time.sleep(0.02)  # polling for announce files written by other processes
        (self.workdir / CONFIG_FRAGMENT).write_text(self.config_fragment())
        return self.sources

    def config_fragment(self) -> str:
        lines = ["# Device sources of the running simulators (written by kitsim)."]
        for name, source in self.sources.items():
            lines += ["", f"[devices.{name}]", f"source = {json.dumps(source)}"]
        return "\n".join(lines) + "\n"

    def control(self, device: str, command: str, /, **args: Any) -> Any:
        record = self.records.get(device)
        if record is None:
            raise control.ControlError(
                f"no simulator {device!r} running (running: {sorted(self.records)})"
            )
        return control.call(Path(record["control"]), command, args)

    def serve_control(self, path: Path | None = None) -> Path:
        """Serves `POST /DEVICE/COMMAND` for all devices on one socket (default DIR/control.sock)."""
        path = path or self.workdir / CONTROL_SOCKET

        def route(target: str, args: dict[str, Any]) -> Any:
            if target in ("", "devices"):
                return self.records
            name, _, command = target.partition("/")
            return self.control(name, command, **args)

        self._server = control.ControlServer(path, route)
        return path

    def dead(self) -> list[str]:
        return [name for name, p in self.processes.items() if p.poll() is not None]

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def __enter__(self) -> SimulatorSet:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def control_call(workdir: Path, device: str, command: str, /, **args: Any) -> Any:
    """A client's call through the control socket of a running `kitsim up`."""
    return control.call(workdir / CONTROL_SOCKET, f"{device}/{command}", args)

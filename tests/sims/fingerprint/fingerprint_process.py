"""A simulated fingerprint reader in a separate process, driven over stdin/stdout, for the tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

MAIN = Path(__file__).with_name("fingerprint_sim_main.py")


class SimulatorFailed(Exception):
    pass


class FingerprintSimProcess:
    def __init__(self, workdir: Path, **options: Any) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(MAIN), str(workdir), json.dumps(options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SimulatorFailed("the fingerprint simulator did not start")
        self.source: str = json.loads(line)["source"]

    def control(self, command: str, **args: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"command": command, "args": args}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if not answer["ok"]:
            raise SimulatorFailed(answer["error"])
        result: dict[str, Any] = answer["result"]
        return result

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> FingerprintSimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

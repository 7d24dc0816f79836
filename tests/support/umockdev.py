"""umockdev-run for the tests: a recorded simulator session replayed to a program on the libusb path.

The simulator writes the recording (kitsim.usb.usbmon, kitsim.usb.umockdev); here it is replayed, one
subprocess per scenario, never the whole suite under the preload. umockdev is a required tool: set-up
installs it (scripts/deps/debian.txt), and a test that needs it fails when it is missing, it does not skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kitsim.fingerprint.simulator import DESCRIPTION, RECORDING
from kitsim.usb.function import BUS
from kitsim.usb.umockdev import sysfs_path

REPO_ROOT = Path(__file__).resolve().parents[2]


def umockdev_run() -> str:
    """The umockdev-run program; the test fails (not skips) when set-up has not installed it."""
    program = shutil.which("umockdev-run")
    if program is None:
        pytest.fail(
            "umockdev-run is not installed; run ./scripts/setup (it installs umockdev from "
            "scripts/deps/debian.txt)"
        )
    return program


@dataclass(frozen=True)
class Recording:
    """The simulated reader's umockdev description and a usbmon capture of one session."""

    folder: Path

    @property
    def description(self) -> Path:
        return self.folder / DESCRIPTION

    @property
    def pcap(self) -> Path:
        return self.folder / RECORDING

    def notes(self, run: str) -> list[dict[str, Any]]:
        """What the tests noted in the recorded ("sim") or the replayed ("replay") run."""
        path = self.folder / f"notes-{run}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]


def umockdev_command(*argv: str, description: Path, pcap: Path | None = None) -> list[str]:
    """`argv` run by umockdev-run in a testbed with the device; its node replays `pcap` if given."""
    command = [umockdev_run(), "-d", str(description)]
    if pcap is not None:
        command += ["-p", f"{sysfs_path(BUS)}={pcap}"]
    return [*command, "--", *argv]


def run(
    command: list[str], *, env: dict[str, str] | None = None, timeout: float = 180.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def pytest_argv(node_id: str) -> list[str]:
    """One test of the suite, in file order, without the cache (the parent run owns it)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        node_id,
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
    ]


def failure(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-3000:]}"

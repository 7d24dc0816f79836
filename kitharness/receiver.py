"""The reference back office's receiver (`kitpkg receiver`) as a process on a loopback port.

The demo and the soaks upload to it from a kit's outbox exactly as a kit in the field would; the soaks
also SIGKILL it in the middle of an upload and start it again on the same port.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

from kitharness.ports import free_port

START_TIMEOUT_S = 30.0


class ReceiverError(Exception):
    """The receiver did not start; the message ends with its log."""


class ReceiverProcess:
    """`kitpkg receiver` storing in ROOT/received with its PKI in ROOT/pki (made first with
    `generate_pki`), on `port` (a free one by default); restartable after a kill."""

    def __init__(
        self,
        root: Path,
        recipient_key: Path,
        kit_keys: Path,
        port: int = 0,
        *,
        generate_pki: bool = False,
    ) -> None:
        self.root = root
        self.port = port or free_port()
        self.out = root / "received"
        self.pki = root / "pki"
        self.log_path = root / "receiver.log"
        self.argv = [
            sys.executable, "-m", "backoffice.cli", "receiver", "--key", str(recipient_key),
            "--kit-keys", str(kit_keys), "--out", str(self.out), "--pki", str(self.pki),
            "--port", str(self.port), *(["--generate-pki"] if generate_pki else []),
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    @property
    def url(self) -> str:
        """The base URL a kit's outbox uploads to."""
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Starts the process and returns once it accepts connections."""
        self.root.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(self.argv, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.05)  # polling another process's port
        self.stop()
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise ReceiverError(f"the receiver did not start:\n{tail}")

    def kill(self) -> None:
        """SIGKILL, as a power cut at the back office would end it."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def stored(self) -> dict[str, Path]:
        """The packages it stored and answered with a receipt, by package id."""
        return {p.name: p for p in self.out.glob("*") if (p / "receipt.json").exists()}

    def stored_package(self, package_id: str) -> Path | None:
        """The sealed package as the receiver stored it (the kit deletes its copy after the receipt)."""
        path = self.out / package_id / "package.kitpkg"
        return path if path.is_file() else None

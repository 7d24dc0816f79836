"""Runs kit-console (python -m console.cli) as a subprocess on a free loopback port, for tests and
benchmarks; `url` is the page's address it printed and `login_url` the address with this launch's
secret that logs a browser in."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any


class RunningConsole:
    def __init__(
        self,
        config: Path | None,
        log_path: Path,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        """`config` is the daemon's configuration; `args` replace it (e.g. --socket, --token-file);
        `env` is added to the console's environment."""
        self.args = [*(["--config", str(config)] if config is not None else []), *args]
        self.env = env or {}
        self.log_path = log_path
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.login_url = ""

    def start(self) -> RunningConsole:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "console.cli", *self.args, "--port", "0"],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the first line, once it listens (or EOF on failure)
        if "serving on " not in line:
            self.stop()
            raise RuntimeError(f"kit-console did not start: {line!r}\n{self.log()}")
        self.url = line.split("serving on ", 1)[1].strip()
        login = self.process.stdout.readline()
        if "log in at " not in login:
            self.stop()
            raise RuntimeError(f"kit-console printed no login address: {login!r}\n{self.log()}")
        self.login_url = login.split("log in at ", 1)[1].strip()
        return self

    @property
    def secret(self) -> str:
        return self.login_url.split("token=", 1)[1]

    def session_cookie(self) -> str:
        """The session cookie (name=value) that opening the printed login address gives."""
        parts = urllib.parse.urlsplit(self.login_url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            connection.request("GET", f"{parts.path}?{parts.query}")
            response = connection.getresponse()
            assert response.status == 200
            return str(response.headers["Set-Cookie"]).split(";", 1)[0]
        finally:
            connection.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> RunningConsole:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

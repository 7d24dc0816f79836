"""A stand-in for systemd's notification socket: records what the daemon announces."""

from __future__ import annotations

import socket
import threading
from pathlib import Path


class NotifyRecorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.messages: list[str] = []
        self._cond = threading.Condition()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path.unlink(missing_ok=True)
        self._sock.bind(str(path))
        self._sock.settimeout(0.2)
        self._closed = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._closed:
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._cond:
                self.messages.extend(data.decode().splitlines())
                self._cond.notify_all()

    def wait_for(self, field: str, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: field in self.messages, timeout)

    def close(self) -> None:
        self._closed = True
        self._thread.join(1)
        self._sock.close()
        self.path.unlink(missing_ok=True)

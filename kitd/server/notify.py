"""systemd service notification (sd_notify): READY, STATUS, WATCHDOG, STOPPING.

Does nothing when NOTIFY_SOCKET is not set (run by hand, in tests). Abstract-namespace sockets
('@...') are supported as systemd uses them.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading


class Notifier:
    """systemd's notification socket (READY, WATCHDOG, STOPPING); silent without one."""

    def __init__(self, address: str | None = None) -> None:
        address = os.environ.get("NOTIFY_SOCKET", "") if address is None else address
        self._address = "\0" + address[1:] if address.startswith("@") else address
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        if self._address:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def send(self, *fields: str) -> None:
        if self._sock is None:
            return
        # systemd gone or socket unreachable: notification is best effort by design.
        with self._lock, contextlib.suppress(OSError):
            self._sock.sendto("\n".join(fields).encode(), self._address)

    def ready(self, status: str = "") -> None:
        self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    @staticmethod
    def watchdog_interval() -> float | None:
        """Half the watchdog timeout systemd asked for, in seconds; None when it asked for none."""
        usec = os.environ.get("WATCHDOG_USEC", "")
        pid = os.environ.get("WATCHDOG_PID", "")
        if not usec.isdigit() or (pid and pid != str(os.getpid())):
            return None
        return int(usec) / 2e6

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

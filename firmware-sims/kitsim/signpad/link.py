"""The simulated pad's end of the serial cable: a pty (the default, like a USB CDC-ACM port) or TCP.

A link never blocks the firmware on a host that does not read: what does not fit is dropped, as a real
pad's USB endpoint would do. Unplugging closes the link for good; replugging makes a new one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import threading
import tty
from abc import ABC, abstractmethod
from pathlib import Path

# How long a write may wait for the host to make room before the rest of the frame is dropped.
_WRITE_WAIT_S = 0.05


class Link(ABC):
    """The simulated pad's byte link to the host."""

    @abstractmethod
    def read(self, timeout: float) -> bytes:
        """Bytes from the host; b"" when nothing came within `timeout` or no host is connected."""

    @abstractmethod
    def write(self, data: bytes) -> bool:
        """Sends to the host; False when (part of) the data was dropped."""

    @abstractmethod
    def close(self) -> None:
        """Pulls the cable: the host sees EOF or EIO."""


class PtyLink(Link):
    """A pseudo-terminal; `symlink` always points at the current slave, like a udev symlink."""

    def __init__(self, symlink: Path) -> None:
        self._master, self._slave = os.openpty()
        # Raw mode: no echo, no line editing, no CR/LF translation - the frames are binary.
        tty.setraw(self._slave)
        # The simulator keeps its own slave descriptor open so that the host closing and reopening
        # the port never makes the master see a hangup; only an unplug does.
        os.set_blocking(self._master, False)
        self.slave_path = os.ttyname(self._slave)
        self.symlink = symlink
        temporary = symlink.with_name(symlink.name + ".new")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(self.slave_path)
        os.replace(temporary, symlink)
        self._closed = False
        self._lock = threading.Lock()

    def read(self, timeout: float) -> bytes:
        if self._closed:
            return b""
        try:
            ready, _, _ = select.select([self._master], [], [], timeout)
            if not ready:
                return b""
            return os.read(self._master, 4096)
        except BlockingIOError:
            return b""
        except (OSError, ValueError):
            return b""  # closed under us by an unplug

    def write(self, data: bytes) -> bool:
        with self._lock:
            view = memoryview(data)
            while view and not self._closed:
                try:
                    written = os.write(self._master, view)
                    view = view[written:]
                except BlockingIOError:
                    _, ready, _ = select.select([], [self._master], [], _WRITE_WAIT_S)
                    if not ready:
                        return False
                except OSError as exc:
                    if exc.errno in (errno.EIO, errno.EBADF):
                        return False
                    raise
            return not view

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for fd in (self._master, self._slave):
                with contextlib.suppress(OSError):
                    os.close(fd)
        with contextlib.suppress(OSError):
            if os.readlink(self.symlink) == self.slave_path:
                self.symlink.unlink()


class SocketLink(Link):
    """A TCP listener on loopback; one host connection at a time (pyserial's socket:// URL)."""

    def __init__(self, port: int = 0) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(1)
        self.port: int = self._listener.getsockname()[1]
        self._client: socket.socket | None = None
        self._lock = threading.Lock()
        self._closed = False

    def read(self, timeout: float) -> bytes:
        if self._closed:
            return b""
        client = self._client
        try:
            if client is None:
                ready, _, _ = select.select([self._listener], [], [], timeout)
                if ready:
                    accepted, _ = self._listener.accept()
                    accepted.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    accepted.settimeout(_WRITE_WAIT_S)
                    with self._lock:
                        self._client = accepted
                return b""
            ready, _, _ = select.select([client], [], [], timeout)
            if not ready:
                return b""
            data = client.recv(4096)
        except (OSError, ValueError):
            data = b""
        if not data:
            # The host closed its end; wait for the next one.
            with self._lock:
                if self._client is client:
                    self._client = None
            if client is not None:
                with contextlib.suppress(OSError):
                    client.close()
        return data

    def write(self, data: bytes) -> bool:
        with self._lock:
            client = self._client
            if client is None or self._closed:
                return False
            try:
                client.sendall(data)
                return True
            except OSError:
                return False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        for sock in (client, self._listener):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()

"""A free TCP port on loopback, for a server the harness starts on a port of its own."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nobody listens on right now (the kernel's pick; another process could take it before
    the server binds, which on a loopback test machine does not happen in practice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

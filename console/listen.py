"""Where kit-console may listen: loopback only. The page drives the kit with the daemon's token
behind it, so anything that can reach the port can act as the operator; a non-loopback address is
refused before a socket is opened.
"""

from __future__ import annotations

import ipaddress
import socket

LOOPBACK_NAMES = ("localhost",)


class NotLoopback(ValueError):
    """The requested listening address is not a loopback address."""


def check_loopback(host: str) -> str:
    """`host` when it names a loopback address, else NotLoopback saying why."""
    if host.lower() in LOOPBACK_NAMES:
        return host
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise NotLoopback(
            f"kit-console listens on loopback only; {host!r} is not a loopback address "
            "(use 127.0.0.1, ::1 or localhost)"
        ) from None
    if not address.is_loopback:
        raise NotLoopback(
            f"kit-console listens on loopback only; {host} is reachable from other machines "
            "(use 127.0.0.1, ::1 or localhost)"
        )
    return host


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on loopback `host`:`port` (0 = a free port)."""
    check_loopback(host)
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    if host.lower() == "localhost":
        host = "127.0.0.1"
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def allowed_hosts(port: int) -> frozenset[str]:
    """The Host header values a browser sends to this console; anything else is a rebound name."""
    return frozenset(f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]"))

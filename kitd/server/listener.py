"""The API's Unix socket: a 0750 directory, a 0660 socket, one daemon per socket.

The socket's directory must be ours (or root's) and not writable by group or others, sticky or not:
whoever may write there can replace the socket with one of their own (or take its name while the
daemon is stopped) and collect the token of every client that connects.
Before binding, an existing socket file is probed: if a daemon answers on it we refuse to start (two
daemons would fight over the devices); if nothing answers it is a leftover of a killed daemon and is
replaced. Removing the socket on exit is the caller's job (`remove_socket`).
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from pathlib import Path


class ListenerError(Exception):
    """The socket cannot be used: another daemon serves it, or the path is not ours to replace."""


def prepare_socket_path(path: Path) -> None:
    """Makes the socket's folder safe, clears a stale socket; refuses one another daemon serves."""
    directory = path.parent
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True, mode=0o750)
    info = directory.stat()
    uid = os.geteuid()
    if info.st_uid not in (uid, 0):
        raise ListenerError(
            f"the socket directory {directory} belongs to uid {info.st_uid}, not to this user "
            f"({uid}) or root: its owner could swap the socket; use a directory of the daemon's own "
            "(systemd's RuntimeDirectory=kitd)"
        )
    if created or (info.st_uid == uid and uid != 0):
        # Ours alone. A directory root owns and did not just create may be the system's (/run, /tmp):
        # its mode is not ours to change.
        os.chmod(directory, 0o750)
    elif stat.S_IMODE(info.st_mode) & 0o022:
        # The sticky bit does not help: in /tmp another user may take the socket's name while the
        # daemon is stopped, and every client would hand its token to their socket.
        raise ListenerError(
            f"the socket directory {directory} is writable by group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}): any of them could swap the socket; use a "
            "directory of the daemon's own (systemd's RuntimeDirectory=kitd)"
        )
    if not path.exists() and not path.is_symlink():
        return
    mode = path.lstat().st_mode
    if not stat.S_ISSOCK(mode):
        raise ListenerError(
            f"{path} exists and is not a socket; remove it or choose another api.socket"
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
            path.unlink(missing_ok=True)  # stale: its daemon is gone
            return
        raise ListenerError(f"{path}: cannot probe the existing socket: {exc.strerror}") from None
    finally:
        probe.close()
    raise ListenerError(
        f"another kitd is already serving on {path}; stop it first (systemctl stop kitd) "
        "or configure a different api.socket"
    )


def secure_socket(path: Path) -> None:
    """Gives the socket its mode: the daemon's user and group may connect, nobody else."""
    os.chmod(path, 0o660)


def remove_socket(path: Path) -> None:
    """Removes the daemon's socket, and only a socket: a file put in its place stays."""
    try:
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()
    except FileNotFoundError:
        pass

"""One daemon per state directory: an exclusive lock on `state_dir/kitd.lock` for the process's life.

Two daemons on one state directory would run two visits at once and interleave the audit chain. The
lock is an advisory `flock`, released by the kernel when the process ends however it ends (a SIGKILL
leaves no stale lock). The file holds the holder's pid, so that the second daemon can name the first.
This module never removes the lock file: unlinking it while held would let a third daemon lock a new one.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from kitd.state_dir import ensure_private_dir

log = logging.getLogger(__name__)

LOCK_NAME = "kitd.lock"
# The pid's field in the lock file, newline included.
PID_WIDTH = 12


class StateDirBusy(Exception):
    """Another process holds the state directory's lock (pid 0 when it could not be read)."""

    def __init__(self, path: Path, pid: int) -> None:
        holder = f"process {pid}" if pid else "another process"
        super().__init__(f"{path} is in use by {holder}: one daemon per state directory")
        self.path = path
        self.pid = pid


class StateDirLock:
    """The exclusive lock of one state directory, held from `acquire` until `release` or exit."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fd = -1

    def acquire(self) -> StateDirLock:
        ensure_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise StateDirBusy(self.path.parent, pid) from None
        except BaseException:
            os.close(fd)
            raise
        # The pid is written over the old one at a fixed width, so that a full disk (which must not stop
        # the start) has no block to find; where it cannot be written the lock still holds.
        try:
            os.pwrite(fd, f"{os.getpid():<{PID_WIDTH - 1}}\n".encode(), 0)
            os.ftruncate(fd, PID_WIDTH)
        except OSError as exc:
            log.warning("pid not written to the lock file", extra={"error": str(exc)})
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd >= 0:
            # The pid stays (it is read only while the lock is held, by then rewritten): its block is
            # kept for the next start, which may meet a full disk.
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> StateDirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return 0
    return int(text) if text.isdigit() else 0

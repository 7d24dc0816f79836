"""The outbox's package files: durable writes, discarding what a failed write left, and telling a
write that failed for want of space from any other failure.

A file is written to tmp/ (O_EXCL, 0600), fsynced, renamed into packages/ and the directory fsynced;
only then does the outbox commit its row. Nothing here knows what a package contains.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
from pathlib import Path

from kitd.durable import fsync_folder, write_fully
from kitd.outbox.errors import InsufficientSpace

_OS_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only (a failing SD card turns read-only)",
}
_SQLITE_CAUSES = {
    sqlite3.SQLITE_FULL: "the disk is full (outbox database)",
    sqlite3.SQLITE_READONLY: "the outbox database is read-only",
}


def fsync_dir(path: Path) -> None:
    """Makes a folder's entries (a rename, a new file) durable."""
    fsync_folder(path)


def write_new(part: Path, data: bytes) -> None:
    """Writes `data` to a new file `part` (0600, never an existing one) and fsyncs it."""
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Writes all of `data` to `fd` (a write may take less than it is given), then fsyncs it."""
    write_fully(fd, data)
    os.fsync(fd)


def discard(paths: tuple[Path | None, ...], directories: tuple[Path, ...]) -> None:
    """Removes what a failed write left, as far as the disk allows."""
    for path in paths:
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
    for directory in directories:
        with contextlib.suppress(OSError):
            fsync_dir(directory)


def space_error(
    exc: OSError | sqlite3.Error, state_dir: Path, min_free_bytes: int
) -> InsufficientSpace | None:
    """The typed error for a write that failed for want of (writable) space, else None."""
    if isinstance(exc, OSError):
        cause = _OS_CAUSES.get(exc.errno or 0)
    else:
        cause = _SQLITE_CAUSES.get(getattr(exc, "sqlite_errorcode", 0) & 0xFF)
    if cause is None:
        return None
    try:
        free = shutil.disk_usage(state_dir).free
    except OSError:
        free = 0
    return InsufficientSpace(str(state_dir), free, min_free_bytes, cause)

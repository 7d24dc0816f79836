"""Space the outbox keeps back on its disk, so that a full disk never stops the work that frees it.

A disk with no byte free cannot open the outbox's database (SQLite needs room for its WAL and its
shared-memory index), record an upload or mark a package deleted, so the packages that would free the
space could never leave. The outbox therefore keeps a file of `size` bytes allocated while there is
room. When free space falls below that size the file is released, and opening the database, uploading
and deleting go on in the room it leaves. A new visit starts only with the reserve in place again:
while the disk is full, visits are refused and the kit recovers by itself once space returns.

The reserve holds zeros only; it never holds anything of a visit.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from pathlib import Path

from kitd.durable import fsync_folder

log = logging.getLogger(__name__)

RESERVE_NAME = "reserve.bin"
RESERVE_BYTES = 2 * 1024 * 1024
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


class SpaceReserve:
    """A file of `size` allocated bytes under `folder`; released when the disk is full."""

    def __init__(self, folder: Path, size: int = RESERVE_BYTES) -> None:
        self.path = folder / RESERVE_NAME
        self.size = size

    def in_place(self) -> bool:
        try:
            return self.path.stat().st_blocks * 512 >= self.size
        except FileNotFoundError:
            return False

    def restore(self) -> bool:
        """Allocates the reserve again where it is missing; False while the disk has no room for it."""
        if self.in_place():
            return True
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            if exc.errno not in _NO_ROOM:
                raise
            return False
        try:
            os.posix_fallocate(fd, 0, self.size)
            os.fsync(fd)
        except OSError as exc:
            if exc.errno not in _NO_ROOM:
                raise
            # Half a reserve would only take room from the work it is kept for.
            os.close(fd)
            fd = -1
            self.path.unlink(missing_ok=True)
            return False
        finally:
            if fd >= 0:
                os.close(fd)
        with contextlib.suppress(OSError):
            fsync_folder(self.path.parent)
        log.info("space reserve in place", extra={"bytes": self.size})
        return True

    def release_when_full(self) -> bool:
        """Releases the reserve when less than its size is free; True when it did."""
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError:
            return False
        if free >= self.size or not self.path.exists():
            return False
        self.path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            fsync_folder(self.path.parent)
        log.warning("disk full: space reserve released for uploads", extra={"free_bytes": free})
        return True

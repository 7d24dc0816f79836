"""Writes that survive a power cut: every byte written, and the folder of a new or renamed file synced.

`os.write` may write fewer bytes than asked (a signal, a nearly full disk) and a rename is durable only
once its folder is. Files that must never be half-written go through these two.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


def write_fully(fd: int, data: bytes) -> None:
    """Writes all of `data`; a write that makes no progress is the disk saying it is full."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, f"no progress writing {len(view)} bytes")
        view = view[written:]


def fsync_folder(folder: Path) -> None:
    """Makes a rename or a new file in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

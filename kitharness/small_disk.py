"""A small tmpfs mounted over a folder, that tests fill up and free again (disk-full cases).

Mounting needs root (CAP_SYS_ADMIN); without it `small_disk` raises `NoSmallDisk`, saying why (the tests
skip on it). The filler is ordinary zeros in a file of its own: it takes the space and nothing else.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

CHUNKS = (1 << 20, 1 << 16, 1 << 12, 1 << 8, 1)


class NoSmallDisk(Exception):
    """The tmpfs could not be mounted here (most often: not root); the message is mount's."""


class SmallDisk:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler.bin"

    def fill(self, leave: int = 0) -> int:
        """Take all free space but `leave` bytes (at block granularity); returns bytes taken."""
        with open(self.filler, "ab", buffering=0) as out:
            for size in CHUNKS:
                block = bytes(size)
                while True:
                    try:
                        out.write(block)
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
            taken = out.tell()
        if leave:
            os.truncate(self.filler, max(0, taken - leave))
        return os.path.getsize(self.filler)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    @property
    def free_bytes(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize


@contextlib.contextmanager
def small_disk(path: Path, size_mb: int) -> Iterator[SmallDisk]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        raise NoSmallDisk(f"cannot mount a tmpfs for the disk-full case: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)

"""The daemon's wall clock: the system clock, or, for soak campaigns and tests, the system clock plus
an offset read from a file (`[clock] offset_file`), so that time can be faked for the daemon alone
without changing the machine's. Never set on a kit: a wrong offset is a wrong clock.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path


class OffsetClock:
    """`time.time()` plus the seconds written in a file (0 when the file is missing or unreadable);
    the file is read again when it changes.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset()

    def offset(self) -> float:
        try:
            stat = os.stat(self._path)
        except OSError:
            return 0.0
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._offset = float(self._path.read_text().strip() or 0)
                except (OSError, ValueError):
                    self._offset = 0.0
                self._stamp = stamp
            return self._offset


def wall_clock(offset_file: Path | None) -> Callable[[], float]:
    """The wall clock the daemon reads: the system's, or the system's plus the file's offset."""
    return time.time if offset_file is None else OffsetClock(offset_file)

"""The reference downloads this kit has completed a delivery with: a download serves one delivery.

A reference's id is recorded when its delivery is sealed into the outbox; a later visit that brings the
same download is refused (ReferenceAlreadyUsed). A visit that ended without a package (not verified,
cancelled, lost) records nothing: the citizen may try again with the same download while it is valid.
The ids live in a small SQLite file in the state folder (0600, synchronous=FULL), nothing else of the
reference: no template, no photo. Rows older than the longest validity any policy may allow are pruned,
since such a reference is refused as expired anyway.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kitd.delivery.errors import ReferenceAlreadyUsed

# The loader caps a policy's max_reference_validity_days at 366; a day more for clocks.
KEEP_S = 367 * 86400.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS used_reference (
    reference_id TEXT PRIMARY KEY,
    package_id TEXT NOT NULL,
    used_at REAL NOT NULL
)
"""


class UsedReferences:
    """The ids of the references this kit completed a delivery with."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        if not path.exists():
            # Created 0600 whatever the umask: the ids say which cards this kit delivered.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def check_unused(self, reference_id: str) -> None:
        """Raises ReferenceAlreadyUsed when a delivery on this kit was completed with `reference_id`."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM used_reference WHERE reference_id = ?", (reference_id,)
            ).fetchone()
        if row is not None:
            raise ReferenceAlreadyUsed(reference_id)

    def record(self, reference_id: str, package_id: str) -> None:
        """`reference_id` served the delivery sealed as `package_id` (a record for another package
        is refused; the same one again, a finalize retried after a failure, is no second use).
        """
        now = self._clock()
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO used_reference VALUES (?, ?, ?)", (reference_id, package_id, now)
                )
            except sqlite3.IntegrityError:
                row = self._db.execute(
                    "SELECT package_id FROM used_reference WHERE reference_id = ?", (reference_id,)
                ).fetchone()
                if row is not None and row[0] == package_id:
                    return
                raise ReferenceAlreadyUsed(reference_id) from None
            self._db.execute("DELETE FROM used_reference WHERE used_at < ?", (now - KEEP_S,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

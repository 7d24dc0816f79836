"""The outbox's SQLite index: one row per package, the intents of packages being written, and the
queries the outbox and the uploader ask.

WAL with synchronous=FULL: a committed row survives a power cut. Rows are never removed, only marked
deleted, so that a visit's package can be found after the file is gone. The index never touches the
package files.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kitd.outbox.state import OutboxStatus, PackageInfo, PackageState
from kitd.package.header import Header

log = logging.getLogger(__name__)

DAY_S = 86400.0
PENDING = (PackageState.SEALED, PackageState.UPLOADING)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS packages (
    package_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    recipient_key_id TEXT NOT NULL,
    sealed_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    next_attempt_at REAL NOT NULL DEFAULT 0,
    acknowledged_at REAL,
    receipt TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT '',
    kit_stored_at REAL
);
CREATE INDEX IF NOT EXISTS packages_state ON packages(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS intents (package_id TEXT PRIMARY KEY, session_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_due (
    event_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    fields TEXT NOT NULL
);
"""

# One package per visit, held by the index itself: a second row for the same session cannot commit.
_ONE_PACKAGE_PER_VISIT = (
    "CREATE UNIQUE INDEX IF NOT EXISTS packages_one_per_session ON packages(session_id) "
    "WHERE session_id != ''"
)

_COLUMNS = (
    "package_id, state, sha256, size, file_name, sealed_at, expires_at, attempts, last_error, "
    "next_attempt_at, recipient_key_id, kit_stored_at"
)


class PackageIndex:
    """The rows of the outbox's packages; thread-safe, every statement under one lock.

    Retention counts kit time (`kit_clock`, kitd.clock.trusted): a row keeps the kit time it was
    stored at (`kit_stored_at`), and is past the ceiling when that much kit time has gone by. The
    header's date (`sealed_at`, `expires_at`) is what the wall clock says; a pending package that
    the wall clock calls expired while kit time does not is *held*: kept and reported.
    """

    def __init__(
        self,
        path: Path,
        packages_dir: Path,
        *,
        retention_days: int,
        wall_clock: Callable[[], float],
        kit_clock: Callable[[], float],
    ) -> None:
        self._packages_dir = packages_dir
        self._retention_days = retention_days
        self._ceiling_s = retention_days * DAY_S
        self._wall = wall_clock
        self._kit = kit_clock
        self.lock = threading.RLock()
        self._db = _open(path)
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(packages)")}
        if "session_id" not in columns:  # an outbox from before visits were named in their row
            self._db.execute("ALTER TABLE packages ADD COLUMN session_id TEXT NOT NULL DEFAULT ''")
        if "kit_stored_at" not in columns:  # an outbox from before retention counted kit time
            self._db.execute("ALTER TABLE packages ADD COLUMN kit_stored_at REAL")
        # Rows without kit time get their age by the wall clock once, never less than zero.
        self._db.execute(
            "UPDATE packages SET kit_stored_at = ? - MAX(0, ? - sealed_at) WHERE kit_stored_at IS NULL",
            (kit_clock(), wall_clock()),
        )
        try:
            self._db.execute(_ONE_PACKAGE_PER_VISIT)
        except sqlite3.IntegrityError:
            # An outbox that already holds two packages of one visit (written before this rule)
            # keeps them both; the check in `enqueue` still refuses a third.
            log.warning("outbox holds more than one package for a visit; kept as they are")

    # -- writing -------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT; rolled back when the body raises."""
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.rollback()
                raise
            self._db.execute("COMMIT")

    def rollback(self) -> None:
        with self.lock:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")

    def insert(
        self, header: Header, *, sha256: str, size: int, file_name: str, session_id: str
    ) -> None:
        """The row of a package file now in packages/, filed by its plaintext header."""
        sealed_at = header.sealed_at_epoch(self._wall())
        with self.lock:
            self._db.execute(
                "INSERT INTO packages (package_id, state, sha256, size, file_name, recipient_key_id, "
                "sealed_at, expires_at, session_id, kit_stored_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    header.package_id,
                    PackageState.SEALED.value,
                    sha256,
                    size,
                    file_name,
                    header.recipient_key_id,
                    sealed_at,
                    sealed_at + self._ceiling_s,
                    session_id,
                    self._kit(),
                ),
            )

    def add_intent(self, package_id: str, session_id: str) -> None:
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO intents (package_id, session_id) VALUES (?, ?)",
                (package_id, session_id),
            )

    def drop_intent(self, package_id: str) -> None:
        with self.lock:
            self._db.execute("DELETE FROM intents WHERE package_id = ?", (package_id,))

    def shrink_log(self) -> None:
        """Copies the write-ahead log into the database and empties it: after a write the disk
        refused, the log's frames for the intent written and dropped give their room back.
        """
        with self.lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def intents(self) -> dict[str, str]:
        """Package id → session id of every package whose write was begun and not committed."""
        with self.lock:
            rows = self._db.execute("SELECT package_id, session_id FROM intents").fetchall()
        return {str(row[0]): str(row[1]) for row in rows}

    def drop_intents(self) -> None:
        with self.lock:
            # Only when there are any: a start on a full disk must not need a write for nothing.
            if self._db.execute("SELECT 1 FROM intents LIMIT 1").fetchone() is not None:
                self._db.execute("DELETE FROM intents")

    def add_due(
        self, event_id: str, kind: str, operator_id: str, fields: dict[str, object]
    ) -> None:
        """An audit record owed for a change committed in the same transaction (see `due`)."""
        with self.lock:
            self._db.execute(
                "INSERT INTO audit_due (event_id, kind, operator_id, fields) VALUES (?, ?, ?, ?)",
                (event_id, kind, operator_id, json.dumps(fields, sort_keys=True)),
            )

    def due(self) -> list[tuple[str, str, str, dict[str, object]]]:
        """(event id, kind, operator id, fields) of every audit record owed, oldest first."""
        with self.lock:
            rows = self._db.execute(
                "SELECT event_id, kind, operator_id, fields FROM audit_due ORDER BY rowid"
            ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2]), dict(json.loads(r[3]))) for r in rows]

    def drop_due(self, event_id: str) -> None:
        with self.lock:
            self._db.execute("DELETE FROM audit_due WHERE event_id = ?", (event_id,))

    def set_state(self, package_id: str, state: PackageState) -> None:
        with self.lock:
            self._db.execute(
                "UPDATE packages SET state = ? WHERE package_id = ?", (state.value, package_id)
            )

    def uploads_cut_short(self) -> None:
        """Uploads in flight when the daemon stopped are pending again (the receiver is idempotent)."""
        with self.lock:
            self._db.execute(
                "UPDATE packages SET state = ? WHERE state = ?",
                (PackageState.SEALED.value, PackageState.UPLOADING.value),
            )

    def start_upload(self, package_id: str) -> None:
        with self.lock:
            self._db.execute(
                "UPDATE packages SET state = ?, attempts = attempts + 1 WHERE package_id = ?",
                (PackageState.UPLOADING.value, package_id),
            )

    def acknowledged(self, package_id: str, at: float, receipt: str) -> None:
        with self.lock:
            self._db.execute(
                "UPDATE packages SET state = ?, acknowledged_at = ?, receipt = ?, last_error = '' "
                "WHERE package_id = ?",
                (PackageState.ACKNOWLEDGED.value, at, receipt, package_id),
            )

    def retry_at(self, package_id: str, error: str, at: float) -> None:
        """An upload that failed is pending again from `at` (unless something else moved it)."""
        with self.lock:
            self._db.execute(
                "UPDATE packages SET state = ?, last_error = ?, next_attempt_at = ? "
                "WHERE package_id = ? AND state = ?",
                (
                    PackageState.SEALED.value,
                    error,
                    at,
                    package_id,
                    PackageState.UPLOADING.value,
                ),
            )

    # -- reading -------------------------------------------------------------------------------------

    def row(self, package_id: str) -> PackageInfo | None:
        with self.lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM packages WHERE package_id = ?", (package_id,)
            ).fetchone()
        return None if row is None else self._info(row)

    def rows(self, states: tuple[PackageState, ...]) -> list[PackageInfo]:
        marks = ",".join("?" for _ in states)
        with self.lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM packages WHERE state IN ({marks}) ORDER BY sealed_at, package_id",
                [s.value for s in states],
            ).fetchall()
        return [self._info(row) for row in rows]

    def states(self) -> dict[str, PackageState]:
        with self.lock:
            rows = self._db.execute("SELECT package_id, state FROM packages").fetchall()
        return {str(row[0]): PackageState(row[1]) for row in rows}

    def expired(self) -> list[tuple[str, str]]:
        """(package id, state) of every package kit time puts past the ceiling, not yet deleted."""
        with self.lock:
            rows = self._db.execute(
                "SELECT package_id, state FROM packages WHERE kit_stored_at + ? <= ? AND state != ?",
                (self._ceiling_s, self._kit(), PackageState.DELETED.value),
            ).fetchall()
        return [(str(row[0]), str(row[1])) for row in rows]

    def held(self) -> list[str]:
        """Pending packages the wall clock calls expired and kit time does not: kept, reported."""
        with self.lock:
            rows = self._db.execute(
                "SELECT package_id FROM packages WHERE expires_at <= ? AND kit_stored_at + ? > ? "
                "AND state IN (?, ?) ORDER BY sealed_at",
                (self._wall(), self._ceiling_s, self._kit(), *[s.value for s in PENDING]),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def held_count(self, wait_s: float) -> int | None:
        """How many packages are held; None when the index stays busy for `wait_s` (a probe
        must not wait on a finalize's fsync).
        """
        if not self.lock.acquire(timeout=wait_s):
            return None
        try:
            return len(self.held())
        finally:
            self.lock.release()

    def package_of_session(self, session_id: str) -> str | None:
        with self.lock:
            row = self._db.execute(
                "SELECT package_id FROM packages WHERE session_id = ? LIMIT 1", (session_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def receipt(self, package_id: str) -> str:
        with self.lock:
            row = self._db.execute(
                "SELECT receipt FROM packages WHERE package_id = ?", (package_id,)
            ).fetchone()
        return "" if row is None else str(row[0])

    def status(self, free_bytes: int, min_free_bytes: int, retention_days: int) -> OutboxStatus:
        """The outbox's counts, the newest upload error of a pending package, the last upload."""
        with self.lock:
            pending = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0), MIN(sealed_at) FROM packages "
                "WHERE state IN (?, ?)",
                (PackageState.SEALED.value, PackageState.UPLOADING.value),
            ).fetchone()
            acknowledged = self._db.execute(
                "SELECT COUNT(*) FROM packages WHERE state = ?", (PackageState.ACKNOWLEDGED.value,)
            ).fetchone()
            last_error = self._db.execute(
                "SELECT last_error FROM packages WHERE last_error != '' AND state IN (?, ?) "
                "ORDER BY next_attempt_at DESC LIMIT 1",
                (PackageState.SEALED.value, PackageState.UPLOADING.value),
            ).fetchone()
            last_upload = self._db.execute("SELECT MAX(acknowledged_at) FROM packages").fetchone()
        return OutboxStatus(
            held=len(self.held()),
            pending=int(pending[0]),
            acknowledged=int(acknowledged[0]),
            pending_bytes=int(pending[1]),
            oldest_pending_sealed_at=pending[2],
            free_bytes=free_bytes,
            min_free_bytes=min_free_bytes,
            retention_days=retention_days,
            last_error="" if last_error is None else str(last_error[0]),
            last_upload_at=last_upload[0],
        )

    def next_due(self) -> float | None:
        with self.lock:
            row = self._db.execute(
                "SELECT MIN(next_attempt_at) FROM packages WHERE state IN (?, ?)",
                (PackageState.SEALED.value, PackageState.UPLOADING.value),
            ).fetchone()
        return None if row[0] is None else float(row[0])

    def close(self) -> None:
        with self.lock:
            self._db.close()

    def _info(self, row: tuple[object, ...]) -> PackageInfo:
        (
            package_id,
            state,
            sha256,
            size,
            file_name,
            sealed_at,
            expires_at,
            attempts,
            error,
            next_at,
            rkid,
            kit_stored_at,
        ) = row
        wall_expiry = float(str(expires_at))
        if kit_stored_at is not None:
            # When kit time reaches the ceiling, in the wall clock's terms now (to the second, so
            # that two reads of one row agree).
            offset = round(self._wall() - self._kit())
            expiry = float(str(kit_stored_at)) + self._ceiling_s + offset
        else:
            expiry = wall_expiry
        pending = PackageState(state) in PENDING
        return PackageInfo(
            held=pending and wall_expiry <= self._wall() < expiry,
            package_id=str(package_id),
            state=PackageState(state),
            sha256=str(sha256),
            size=int(str(size)),
            sealed_at=float(str(sealed_at)),
            expires_at=expiry,
            upload_attempts=int(str(attempts)),
            last_error=str(error),
            next_attempt_at=float(str(next_at)),
            recipient_key_id=str(rkid),
            path=str(self._packages_dir / str(file_name)),
        )


def _open(path: Path) -> sqlite3.Connection:
    """The database in WAL mode. A disk with no byte free cannot map WAL's shared-memory index
    ("disk I/O error"): the database is then opened with an exclusive lock, which keeps that index
    in memory, so that the daemon still starts, reads its packages and writes again once space
    returns. The lock is held until the daemon stops (other readers wait for it meanwhile).
    """
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        return db
    except sqlite3.OperationalError as exc:
        db.close()
        log.warning("outbox database opened with an exclusive lock", extra={"error": str(exc)})
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
    db.execute("PRAGMA journal_mode=WAL")
    return db

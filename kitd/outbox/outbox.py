"""The outbox proper: sealed packages as files plus one SQLite row each, and what happens to them.

Write order for a new package: an intent row naming the package and its visit (COMMIT) → temp file
(O_EXCL, 0600) → fsync → rename into packages/ → fsync the directory → INSERT the row and drop the
intent in one COMMIT (WAL, synchronous=FULL). A crash before the commit leaves at most a file without
a row, which `open` adopts from its plaintext header, with the visit its intent names (so the daemon
can tell the visit was finalized, not lost); a crash after the commit loses nothing.
Deletion runs the other way: mark acknowledged, unlink and fsync, then mark deleted.

The outbox never decrypts and never writes anything but sealed bytes.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import random
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind
from kitd.outbox.client import PackageClient, receipt_json
from kitd.outbox.config import OutboxConfig
from kitd.outbox.errors import (
    DuplicatePackage,
    InsufficientSpace,
    NotAPackage,
    UnknownPackage,
    UploadConfigError,
    UploadError,
)
from kitd.outbox.state import (
    EnqueuedPackage,
    FlushResult,
    OutboxStatus,
    PackageInfo,
    PackageState,
)
from kitd.package.errors import PackageError
from kitd.package.header import read_header
from kitd.state_dir import ensure_private_dir

SUFFIX = ".kitpkg"
PART_SUFFIX = ".part"
DAY_S = 86400.0

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
    session_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS packages_state ON packages(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS intents (package_id TEXT PRIMARY KEY, session_id TEXT NOT NULL);
"""

_COLUMNS = (
    "package_id, state, sha256, size, file_name, sealed_at, expires_at, attempts, last_error, "
    "next_attempt_at, recipient_key_id"
)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Outbox:
    def __init__(
        self,
        config: OutboxConfig,
        audit: AuditLog | None = None,
        *,
        clock: Callable[[], float] = time.time,
        client_factory: Callable[[OutboxConfig], PackageClient] = PackageClient,
    ) -> None:
        self._config = config
        self._audit = audit
        self._clock = clock
        self._client_factory = client_factory
        self._client: PackageClient | None = None
        self._lock = threading.RLock()
        # Serialises upload passes; enqueue and packages() do not wait for an upload in flight.
        self._flush_lock = threading.Lock()
        self._random = random.Random()
        self.packages_dir = config.state_dir / "packages"
        self.tmp_dir = config.state_dir / "tmp"
        for directory in (config.state_dir, self.packages_dir, self.tmp_dir):
            ensure_private_dir(directory)
        self._db = sqlite3.connect(
            config.state_dir / "outbox.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(packages)")}
        if "session_id" not in columns:  # an outbox from before visits were named in their row
            self._db.execute("ALTER TABLE packages ADD COLUMN session_id TEXT NOT NULL DEFAULT ''")
        self._recover()
        self.sweep_retention()

    # ----------------------------------------------------------------- writing

    def check_space(self) -> int:
        """Free bytes under the state directory; raises InsufficientSpace below the floor."""
        free = shutil.disk_usage(self._config.state_dir).free
        if free < self._config.min_free_bytes:
            raise InsufficientSpace(str(self._config.state_dir), free, self._config.min_free_bytes)
        return free

    def enqueue(self, sealed: bytes, session_id: str = "") -> EnqueuedPackage:
        """Store sealed package bytes durably; returns once the package survives a power cut.

        Idempotent: the same bytes again return the same entry. The package id comes from the
        package's own header, so a resend can only ever use the id it was sealed under. The visit's
        session id is committed with the row, so that after a crash the daemon can tell a visit
        whose package exists from one that was lost (`package_of_session`).
        """
        try:
            header = read_header(sealed)
        except PackageError as exc:
            raise NotAPackage(
                f"refusing to store bytes that are not a sealed package: {exc}"
            ) from exc
        package_id = header.package_id
        sha256 = hashlib.sha256(sealed).hexdigest()
        with self._lock:
            existing = self._row(package_id)
            if existing is not None:
                if existing.sha256 != sha256:
                    raise DuplicatePackage(
                        f"package {package_id} is already in the outbox with other bytes"
                    )
                return EnqueuedPackage(package_id, sha256, existing.size, existing.path)
            self.check_space()
            final = self.packages_dir / f"{package_id}{SUFFIX}"
            part = (
                self.tmp_dir
                / f"{package_id}.{os.getpid()}.{self._random.getrandbits(32):08x}{PART_SUFFIX}"
            )
            renamed = False
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO intents (package_id, session_id) VALUES (?, ?)",
                    (package_id, session_id),
                )
                fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    view = memoryview(sealed)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.rename(part, final)
                renamed = True
                _fsync_dir(self.packages_dir)
                _fsync_dir(self.tmp_dir)
                sealed_at = _parse_time(header.sealed_at, self._clock())
                self._db.execute("BEGIN IMMEDIATE")
                self._insert(
                    package_id=package_id,
                    sha256=sha256,
                    size=len(sealed),
                    file_name=final.name,
                    recipient_key_id=header.recipient_key_id,
                    sealed_at=sealed_at,
                    session_id=session_id,
                )
                self._db.execute("DELETE FROM intents WHERE package_id = ?", (package_id,))
                self._db.execute("COMMIT")
            except (OSError, sqlite3.Error) as exc:
                # Nothing half-written may stay: the caller is told the package was not kept, so
                # a file adopted at the next start would be a second package of the same visit.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                self._discard(part, final if renamed else None)
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("DELETE FROM intents WHERE package_id = ?", (package_id,))
                space = self._space_error(exc)
                if space is None:
                    raise
                raise space from exc
        self._record(
            AuditKind.PACKAGE_SEALED, package_id=package_id, sha256=sha256, size=len(sealed)
        )
        return EnqueuedPackage(package_id, sha256, len(sealed), str(final))

    def _discard(self, part: Path, final: Path | None) -> None:
        for path in (part, final):
            if path is not None:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
        for directory in (self.tmp_dir, self.packages_dir):
            with contextlib.suppress(OSError):
                _fsync_dir(directory)

    def _space_error(self, exc: OSError | sqlite3.Error) -> InsufficientSpace | None:
        """The typed error for a write that failed for want of (writable) space, else None."""
        if isinstance(exc, OSError):
            causes = {
                errno.ENOSPC: "the disk is full",
                errno.EDQUOT: "the disk quota is exhausted",
                errno.EROFS: "the file system is read-only (a failing SD card turns read-only)",
            }
            cause = causes.get(exc.errno or 0)
        else:
            codes = {
                sqlite3.SQLITE_FULL: "the disk is full (outbox database)",
                sqlite3.SQLITE_READONLY: "the outbox database is read-only",
            }
            cause = codes.get(getattr(exc, "sqlite_errorcode", 0) & 0xFF)
        if cause is None:
            return None
        try:
            free = shutil.disk_usage(self._config.state_dir).free
        except OSError:
            free = 0
        return InsufficientSpace(
            str(self._config.state_dir), free, self._config.min_free_bytes, cause
        )

    # ----------------------------------------------------------------- reading

    def packages(self, states: tuple[PackageState, ...] = ()) -> list[PackageInfo]:
        wanted = states or (PackageState.SEALED, PackageState.UPLOADING, PackageState.ACKNOWLEDGED)
        marks = ",".join("?" for _ in wanted)
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM packages WHERE state IN ({marks}) ORDER BY sealed_at, package_id",
                [s.value for s in wanted],
            ).fetchall()
        return [self._info(row) for row in rows]

    def get(self, package_id: str) -> PackageInfo:
        with self._lock:
            info = self._row(package_id)
        if info is None:
            raise UnknownPackage(f"no package {package_id} in the outbox")
        return info

    def read(self, package_id: str) -> bytes:
        info = self.get(package_id)
        return Path(info.path).read_bytes()

    def package_of_session(self, session_id: str) -> str | None:
        """The id of the package committed for a visit (in any state, even deleted), if any."""
        if not session_id:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT package_id FROM packages WHERE session_id = ? LIMIT 1", (session_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def receipt(self, package_id: str) -> str:
        with self._lock:
            row = self._db.execute(
                "SELECT receipt FROM packages WHERE package_id = ?", (package_id,)
            ).fetchone()
        return "" if row is None else str(row[0])

    def status(self) -> OutboxStatus:
        with self._lock:
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
            pending=int(pending[0]),
            acknowledged=int(acknowledged[0]),
            pending_bytes=int(pending[1]),
            oldest_pending_sealed_at=pending[2],
            free_bytes=shutil.disk_usage(self._config.state_dir).free,
            min_free_bytes=self._config.min_free_bytes,
            retention_days=self._config.retention_days,
            last_error="" if last_error is None else str(last_error[0]),
            last_upload_at=last_upload[0],
        )

    @property
    def config(self) -> OutboxConfig:
        return self._config

    def next_due(self) -> float | None:
        """When the next upload attempt is due (epoch seconds), or None when nothing is pending."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(next_attempt_at) FROM packages WHERE state IN (?, ?)",
                (PackageState.SEALED.value, PackageState.UPLOADING.value),
            ).fetchone()
        return None if row[0] is None else float(row[0])

    # ----------------------------------------------------------------- upload

    def flush(self, *, force: bool = True) -> FlushResult:
        """One upload pass: every pending package (or only those due, with force=False)."""
        with self._flush_lock:
            # A pass cut short after a receipt (a full disk under the audit log) left acknowledged
            # packages behind; they go first, as at start-up.
            for package in self.packages((PackageState.ACKNOWLEDGED,)):
                self._delete(package.package_id, AuditKind.PACKAGE_DELETED, "acknowledged")
            now = self._clock()
            due = [
                p
                for p in self.packages((PackageState.SEALED, PackageState.UPLOADING))
                if force or p.next_attempt_at <= now
            ]
            uploaded = failed = 0
            touched = []
            for package in due:
                if self._upload_one(package):
                    uploaded += 1
                else:
                    failed += 1
                touched.append(self._row_or_deleted(package.package_id))
            return FlushResult(uploaded, failed, tuple(touched))

    def _upload_one(self, package: PackageInfo) -> bool:
        with self._lock:
            self._db.execute(
                "UPDATE packages SET state = ?, attempts = attempts + 1 WHERE package_id = ?",
                (PackageState.UPLOADING.value, package.package_id),
            )
        try:
            if self._client is None:
                self._client = self._client_factory(self._config)
            data = Path(package.path).read_bytes()
            if hashlib.sha256(data).hexdigest() != package.sha256:
                # Never send bytes other than those that were sealed; the id would then name two
                # different packages at the back office.
                raise UploadError(
                    f"the stored file of {package.package_id} no longer matches its SHA-256"
                )
            receipt = self._client.put(package.package_id, data, package.sha256)
        except (UploadError, UploadConfigError, OSError) as exc:
            # A bad TLS file or URL is retried like a network fault: the operator fixes the
            # configuration, and nothing is lost meanwhile.
            self._retry_later(package, str(exc))
            return False
        now = self._clock()
        with self._lock:
            self._db.execute(
                "UPDATE packages SET state = ?, acknowledged_at = ?, receipt = ?, last_error = '' "
                "WHERE package_id = ?",
                (PackageState.ACKNOWLEDGED.value, now, receipt_json(receipt), package.package_id),
            )
        self._record(
            AuditKind.PACKAGE_UPLOADED,
            package_id=package.package_id,
            sha256=package.sha256,
            receiver=receipt.receiver,
        )
        self._delete(package.package_id, AuditKind.PACKAGE_DELETED, "acknowledged")
        return True

    def _retry_later(self, package: PackageInfo, error: str) -> None:
        attempts = self.get(package.package_id).upload_attempts
        delay = min(
            self._config.backoff_max_s, self._config.backoff_initial_s * 2 ** max(0, attempts - 1)
        )
        # Jitter spreads retries of many kits reconnecting at once.
        delay *= self._random.uniform(0.5, 1.0)
        with self._lock:
            self._db.execute(
                "UPDATE packages SET state = ?, last_error = ?, next_attempt_at = ? "
                "WHERE package_id = ? AND state = ?",
                (
                    PackageState.SEALED.value,
                    error,
                    self._clock() + delay,
                    package.package_id,
                    PackageState.UPLOADING.value,
                ),
            )
        self._record(
            AuditKind.PACKAGE_UPLOAD_FAILED, package_id=package.package_id, error=error[:300]
        )

    # ----------------------------------------------------------------- retention

    def sweep_retention(self) -> list[str]:
        """Delete every package past the retention ceiling, whatever its state; one audit record each."""
        now = self._clock()
        with self._lock:
            rows = self._db.execute(
                "SELECT package_id, state FROM packages WHERE expires_at <= ? AND state != ?",
                (now, PackageState.DELETED.value),
            ).fetchall()
        expired = []
        for package_id, state in rows:
            self._delete(package_id, AuditKind.PACKAGE_EXPIRED, f"retention ceiling, was {state}")
            expired.append(str(package_id))
        return expired

    # ----------------------------------------------------------------- internals

    def _delete(self, package_id: str, kind: AuditKind, reason: str) -> None:
        path = self.packages_dir / f"{package_id}{SUFFIX}"
        path.unlink(missing_ok=True)
        _fsync_dir(self.packages_dir)
        with self._lock:
            self._db.execute(
                "UPDATE packages SET state = ? WHERE package_id = ?",
                (PackageState.DELETED.value, package_id),
            )
        self._record(kind, package_id=package_id, reason=reason)

    def _recover(self) -> None:
        for part in self.tmp_dir.glob(f"*{PART_SUFFIX}"):
            # Never renamed, so never reported as enqueued: nobody relies on it.
            part.unlink(missing_ok=True)
        _fsync_dir(self.tmp_dir)
        with self._lock:
            # An upload cut short is retried under the same id; the receiver is idempotent.
            self._db.execute(
                "UPDATE packages SET state = ? WHERE state = ?",
                (PackageState.SEALED.value, PackageState.UPLOADING.value),
            )
            known = {
                str(row[0]): PackageState(row[1])
                for row in self._db.execute("SELECT package_id, state FROM packages")
            }
            intents = {
                str(row[0]): str(row[1])
                for row in self._db.execute("SELECT package_id, session_id FROM intents")
            }
        for package_id, state in known.items():
            if state is PackageState.ACKNOWLEDGED:
                self._delete(package_id, AuditKind.PACKAGE_DELETED, "acknowledged before restart")
        for path in sorted(self.packages_dir.glob(f"*{SUFFIX}")):
            package_id = path.name.removesuffix(SUFFIX)
            if package_id in known and known[package_id] is not PackageState.DELETED:
                continue
            if package_id in known:
                # Deleted row, file left by a crash between unlink and fsync.
                path.unlink(missing_ok=True)
                continue
            data = path.read_bytes()
            try:
                header = read_header(data)
            except PackageError:
                continue
            if header.package_id != package_id:
                continue
            # Renamed but not committed: the daemon died inside enqueue. The visit exists only here.
            sha256 = hashlib.sha256(data).hexdigest()
            self._insert(
                package_id=package_id,
                sha256=sha256,
                size=len(data),
                file_name=path.name,
                recipient_key_id=header.recipient_key_id,
                sealed_at=_parse_time(header.sealed_at, self._clock()),
                session_id=intents.get(package_id, ""),
            )
            self._record(AuditKind.PACKAGE_RECOVERED, package_id=package_id, sha256=sha256)
        with self._lock:
            # Every intent is now either a row or nothing (never renamed): none is needed any more.
            self._db.execute("DELETE FROM intents")

    def _insert(
        self,
        *,
        package_id: str,
        sha256: str,
        size: int,
        file_name: str,
        recipient_key_id: str,
        sealed_at: float,
        session_id: str = "",
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO packages (package_id, state, sha256, size, file_name, recipient_key_id, "
                "sealed_at, expires_at, session_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    package_id,
                    PackageState.SEALED.value,
                    sha256,
                    size,
                    file_name,
                    recipient_key_id,
                    sealed_at,
                    sealed_at + self._config.retention_days * DAY_S,
                    session_id,
                ),
            )

    def _row(self, package_id: str) -> PackageInfo | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM packages WHERE package_id = ?", (package_id,)
        ).fetchone()
        return None if row is None else self._info(row)

    def _row_or_deleted(self, package_id: str) -> PackageInfo:
        with self._lock:
            info = self._row(package_id)
        assert info is not None  # rows are never removed, only marked deleted
        return info

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
        ) = row
        return PackageInfo(
            package_id=str(package_id),
            state=PackageState(state),
            sha256=str(sha256),
            size=int(str(size)),
            sealed_at=float(str(sealed_at)),
            expires_at=float(str(expires_at)),
            upload_attempts=int(str(attempts)),
            last_error=str(error),
            next_attempt_at=float(str(next_at)),
            recipient_key_id=str(rkid),
            path=str(self.packages_dir / str(file_name)),
        )

    def _record(self, kind: AuditKind, **fields: object) -> None:
        if self._audit is not None:
            self._audit.append(kind, "", **fields)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _parse_time(text: str, fallback: float) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return fallback

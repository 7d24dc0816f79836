"""The outbox proper: sealed packages as files plus one SQLite row each, and what happens to them.

Write order for a new package: an intent row naming the package and its visit (COMMIT) → temp file
(O_EXCL, 0600) → fsync → rename into packages/ → fsync the directory → INSERT the row and drop the
intent in one COMMIT (WAL, synchronous=FULL). A crash before the commit leaves at most a file without
a row, which `open` adopts from its plaintext header, with the visit its intent names (so the daemon
can tell the visit was finalized, not lost); a crash after the commit loses nothing.
Deletion runs the other way: mark acknowledged, unlink and fsync, then mark deleted.

The audit record of a committed change (sealed, uploaded, deleted) is committed with the change as a
record owed (`audit_due`) and appended to the audit log afterwards: a full disk or a crash between the
commit and the append leaves the record owed, never lost, and never fails the change that was made.
Owed records are appended at the next change, upload pass or start; each carries its event id, so one
appended just before a crash is not appended twice.

The outbox never decrypts and never writes anything but sealed bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from kitd.audit.errors import AuditLogError
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
    VisitAlreadySealed,
)
from kitd.outbox.files import discard, fsync_dir, space_error, write_new
from kitd.outbox.index import PENDING, PackageIndex
from kitd.outbox.recovery import PART_SUFFIX, SUFFIX, recover
from kitd.outbox.reserve import RESERVE_BYTES, SpaceReserve
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

log = logging.getLogger(__name__)
EVENT_FIELD = "event"


class Outbox:
    """Sealed packages kept durably until the back office acknowledged them, and their uploads."""

    def __init__(
        self,
        config: OutboxConfig,
        audit: AuditLog | None = None,
        *,
        clock: Callable[[], float] = time.time,
        kit_clock: Callable[[], float] | None = None,
        client_factory: Callable[[OutboxConfig], PackageClient] = PackageClient,
    ) -> None:
        self._config = config
        self._audit = audit
        self._clock = clock
        self._client_factory = client_factory
        self._client: PackageClient | None = None
        # Serialises upload passes; enqueue and packages() do not wait for an upload in flight.
        self._flush_lock = threading.Lock()
        self._random = random.Random()
        self.packages_dir = config.state_dir / "packages"
        self.tmp_dir = config.state_dir / "tmp"
        for directory in (config.state_dir, self.packages_dir, self.tmp_dir):
            ensure_private_dir(directory)
        # On a full disk the reserve makes room for the database to open (kitd.outbox.reserve).
        self._reserve = SpaceReserve(config.state_dir)
        self._reserve.release_when_full()
        try:
            self._index = PackageIndex(
                config.state_dir / "outbox.sqlite3",
                self.packages_dir,
                retention_days=config.retention_days,
                wall_clock=clock,
                kit_clock=clock if kit_clock is None else kit_clock,
            )
        except sqlite3.Error as exc:
            raise _open_error(exc, config) from exc
        self._reserve.restore()
        # Event ids of owed records already in the log (a crash between append and drop).
        self._appended: set[str] = set()
        if audit is not None and self._index.due():
            self._appended = {
                str(r.fields.get(EVENT_FIELD))
                for r in audit.records_since(-1)
                if EVENT_FIELD in r.fields
            }
        try:
            self._drain_due()
            self._recover()
            self.sweep_retention()
        except (OSError, sqlite3.Error) as exc:
            # A disk with no byte free (and no reserve left) must not stop the start: what
            # could not be put right now is put right at the next start.
            if space_error(exc, config.state_dir, config.min_free_bytes) is None:
                raise
            log.warning("outbox recovery deferred: the disk is full", extra={"error": str(exc)})

    # ----------------------------------------------------------------- writing

    def check_space(self) -> int:
        """Free bytes under the state directory; raises InsufficientSpace below the floor, or when the
        space reserve (kept for uploads on a full disk) cannot be put back in place.
        """
        free = shutil.disk_usage(self._config.state_dir).free
        if free < self._config.min_free_bytes:
            raise InsufficientSpace(str(self._config.state_dir), free, self._config.min_free_bytes)
        if not self._reserve.restore():
            free = shutil.disk_usage(self._config.state_dir).free
            raise InsufficientSpace(
                str(self._config.state_dir),
                free,
                max(self._config.min_free_bytes, self._reserve.size),
            )
        return free

    def enqueue(
        self, sealed: bytes, session_id: str = "", operator_id: str = ""
    ) -> EnqueuedPackage:
        """Store sealed package bytes durably; returns once the package survives a power cut.

        Idempotent: the same bytes again return the same entry. The package id comes from the
        package's own header, so a resend can only ever use the id it was sealed under. The visit's
        session id is committed with the row, so that after a crash the daemon can tell a visit
        whose package exists from one that was lost (`package_of_session`). A visit has one package:
        a second one for the same session is refused (VisitAlreadySealed) before anything is written.
        """
        try:
            header = read_header(sealed)
        except PackageError as exc:
            raise NotAPackage(
                f"refusing to store bytes that are not a sealed package: {exc}"
            ) from exc
        package_id = header.package_id
        sha256 = hashlib.sha256(sealed).hexdigest()
        index = self._index
        with index.lock:
            existing = index.row(package_id)
            if existing is not None:
                if existing.sha256 != sha256:
                    raise DuplicatePackage(
                        f"package {package_id} is already in the outbox with other bytes"
                    )
                return EnqueuedPackage(package_id, sha256, existing.size, existing.path)
            sealed_before = index.package_of_session(session_id) if session_id else None
            if sealed_before is not None:
                raise VisitAlreadySealed(session_id, sealed_before)
            self.check_space()
            final = self.packages_dir / f"{package_id}{SUFFIX}"
            part = (
                self.tmp_dir
                / f"{package_id}.{os.getpid()}.{self._random.getrandbits(32):08x}{PART_SUFFIX}"
            )
            renamed = False
            try:
                index.add_intent(package_id, session_id)
                write_new(part, sealed)
                os.rename(part, final)
                renamed = True
                fsync_dir(self.packages_dir)
                fsync_dir(self.tmp_dir)
                with index.transaction():
                    index.insert(
                        header,
                        sha256=sha256,
                        size=len(sealed),
                        file_name=final.name,
                        session_id=session_id,
                    )
                    index.drop_intent(package_id)
                    fields: dict[str, object] = {
                        "package_id": package_id,
                        "sha256": sha256,
                        "size": len(sealed),
                    }
                    if session_id:
                        fields["session_id"] = session_id
                    self._owe(AuditKind.PACKAGE_SEALED, operator_id, fields)
            except (OSError, sqlite3.Error) as exc:
                # Nothing half-written may stay: the caller is told the package was not kept, so
                # a file adopted at the next start would be a second package of the same visit.
                index.rollback()
                discard((part, final if renamed else None), (self.tmp_dir, self.packages_dir))
                with contextlib.suppress(sqlite3.Error):
                    index.drop_intent(package_id)
                    # Each failed attempt would otherwise leave ~16 KiB more log on a full disk.
                    index.shrink_log()
                space = space_error(exc, self._config.state_dir, self._config.min_free_bytes)
                if space is None:
                    raise
                raise space from exc
        self._drain_due()
        return EnqueuedPackage(package_id, sha256, len(sealed), str(final))

    # ----------------------------------------------------------------- reading

    def packages(self, states: tuple[PackageState, ...] = ()) -> list[PackageInfo]:
        return self._index.rows(states or (*PENDING, PackageState.ACKNOWLEDGED))

    def get(self, package_id: str) -> PackageInfo:
        info = self._index.row(package_id)
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
        return self._index.package_of_session(session_id)

    def receipt(self, package_id: str) -> str:
        return self._index.receipt(package_id)

    def status(self) -> OutboxStatus:
        free = shutil.disk_usage(self._config.state_dir).free
        return self._index.status(free, self._config.min_free_bytes, self._config.retention_days)

    def held_count(self, wait_s: float) -> int | None:
        """Held packages (see `status`), or None when the outbox is busy for longer than `wait_s`."""
        return self._index.held_count(wait_s)

    @property
    def config(self) -> OutboxConfig:
        return self._config

    def next_due(self) -> float | None:
        """When the next upload attempt is due (epoch seconds), or None when nothing is pending."""
        return self._index.next_due()

    # ----------------------------------------------------------------- upload

    def flush(self, *, force: bool = True, wait_s: float | None = None) -> FlushResult:
        """One upload pass: every pending package (or only those due, with force=False).

        With `wait_s`, a pass already running (a slow receiver) is waited for that long at most;
        then the pending packages are returned as they stand, marked `already_running`.
        """
        if not self._flush_lock.acquire(timeout=-1 if wait_s is None else wait_s):
            return FlushResult(0, 0, tuple(self.packages(PENDING)), already_running=True)
        try:
            return self._flush_locked(force=force)
        finally:
            self._flush_lock.release()

    def _flush_locked(self, *, force: bool) -> FlushResult:
        # Uploads and deletions free space: on a full disk they use the reserve.
        self._reserve.release_when_full()
        self._drain_due()
        # A pass cut short after a receipt (a full disk under the audit log) left acknowledged
        # packages behind; they go first, as at start-up.
        for package in self.packages((PackageState.ACKNOWLEDGED,)):
            self._delete(package.package_id, AuditKind.PACKAGE_DELETED, "acknowledged")
        now = self._clock()
        # A retry due further ahead than the longest backoff was planned on a clock that has
        # since gone back: it is due now, not in months.
        latest = now + self._config.backoff_max_s
        due = [
            p
            for p in self.packages(PENDING)
            if force or p.next_attempt_at <= now or p.next_attempt_at > latest
        ]
        uploaded = failed = 0
        touched = []
        for package in due:
            if self._upload_one(package):
                uploaded += 1
            else:
                failed += 1
            touched.append(self.get(package.package_id))
        # What the pass freed goes to the reserve first.
        self._reserve.restore()
        return FlushResult(uploaded, failed, tuple(touched))

    def _upload_one(self, package: PackageInfo) -> bool:
        self._index.start_upload(package.package_id)
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
        with self._index.transaction():
            self._index.acknowledged(package.package_id, now, receipt_json(receipt))
            self._owe(
                AuditKind.PACKAGE_UPLOADED,
                "",
                {
                    "package_id": package.package_id,
                    "sha256": package.sha256,
                    "receiver": receipt.receiver,
                },
            )
        self._drain_due()
        self._delete(package.package_id, AuditKind.PACKAGE_DELETED, "acknowledged")
        return True

    def _retry_later(self, package: PackageInfo, error: str) -> None:
        attempts = self.get(package.package_id).upload_attempts
        delay = min(
            self._config.backoff_max_s, self._config.backoff_initial_s * 2 ** max(0, attempts - 1)
        )
        # Jitter spreads retries of many kits reconnecting at once.
        delay *= self._random.uniform(0.5, 1.0)
        self._index.retry_at(package.package_id, error, self._clock() + delay)
        self._record(
            AuditKind.PACKAGE_UPLOAD_FAILED, package_id=package.package_id, error=error[:300]
        )

    # ----------------------------------------------------------------- retention

    def sweep_retention(self) -> list[str]:
        """Delete every package past the retention ceiling by kit time, whatever its state; one
        audit record each. A package the wall clock alone calls expired is held, not deleted.
        """
        expired = []
        for package_id, state in self._index.expired():
            self._delete(package_id, AuditKind.PACKAGE_EXPIRED, f"retention ceiling, was {state}")
            expired.append(package_id)
        held = self._index.held()
        if held:
            log.warning(
                "packages past the ceiling by the wall clock only are kept",
                extra={"held": len(held)},
            )
        return expired

    # ----------------------------------------------------------------- internals

    def _delete(self, package_id: str, kind: AuditKind, reason: str) -> None:
        path = self.packages_dir / f"{package_id}{SUFFIX}"
        path.unlink(missing_ok=True)
        fsync_dir(self.packages_dir)
        with self._index.transaction():
            self._index.set_state(package_id, PackageState.DELETED)
            self._owe(kind, "", {"package_id": package_id, "reason": reason})
        self._drain_due()

    def _recover(self) -> None:
        def owe_adopted(package_id: str, sha256: str) -> None:
            self._owe(AuditKind.PACKAGE_RECOVERED, "", {"package_id": package_id, "sha256": sha256})

        found = recover(self._index, self.packages_dir, self.tmp_dir, on_adopted=owe_adopted)
        self._drain_due()
        for package_id in found.acknowledged:
            self._delete(package_id, AuditKind.PACKAGE_DELETED, "acknowledged before restart")

    def _owe(self, kind: AuditKind, operator_id: str, fields: dict[str, object]) -> None:
        """Inside the transaction of a change: the audit record the change owes."""
        if self._audit is not None:
            self._index.add_due(uuid.uuid4().hex, kind.value, operator_id, fields)

    def _drain_due(self) -> None:
        """Appends the owed audit records, oldest first; stops at the first the log refuses (a full
        disk), leaving it and the rest owed for the next try.
        """
        if self._audit is None:
            return
        with self._index.lock:
            for event_id, kind, operator_id, fields in self._index.due():
                if event_id not in self._appended:
                    try:
                        self._audit.append(
                            AuditKind(kind), operator_id, **fields, **{EVENT_FIELD: event_id}
                        )
                    except AuditLogError as exc:
                        log.warning("audit record owed, appended later", extra={"error": str(exc)})
                        return
                    self._appended.add(event_id)
                try:
                    self._index.drop_due(event_id)
                except sqlite3.Error as exc:
                    log.warning("owed audit record kept", extra={"error": str(exc)})
                    return
                self._appended.discard(event_id)

    @property
    def records_owed(self) -> int:
        """How many audit records of committed changes wait for room in the audit log."""
        return len(self._index.due())

    def _record(self, kind: AuditKind, **fields: object) -> None:
        """An audit record of something that changed no state (an upload that failed)."""
        if self._audit is None:
            return
        try:
            self._audit.append(kind, "", **fields)
        except AuditLogError as exc:
            log.warning("audit record not written", extra={"error": str(exc)})

    def close(self) -> None:
        self._index.close()
        # In place for the next start, when the disk has room for it.
        self._reserve.restore()


def _open_error(exc: sqlite3.Error, config: OutboxConfig) -> Exception:
    """The typed error of a database that would not open: a full or read-only disk is
    InsufficientSpace (SQLite says "disk I/O error" when it cannot map its index), anything else
    is raised as it came.
    """
    typed = space_error(exc, config.state_dir, config.min_free_bytes)
    if typed is not None:
        return typed
    free = shutil.disk_usage(config.state_dir).free
    if free < RESERVE_BYTES:
        return InsufficientSpace(
            str(config.state_dir), free, config.min_free_bytes, "the disk is full"
        )
    return exc

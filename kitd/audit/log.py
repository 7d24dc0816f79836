"""The kit's audit log file: append a record, fsync, and checkpoint it every so often.

Checkpoints are signed every `checkpoint_every` records, whenever `checkpoint()` is called (the kit calls
it at the end of every visit) and at close; after each, the signed head file beside the log
(`kitd.audit.head`) is replaced, so a log cut short at its end is detectable.

Appends are serialised by a lock and each is made durable (write + fsync) before `append` returns, so an
acknowledged record survives a power cut. A record torn by a crash is cut off when the log is next opened,
and that repair is itself recorded. The log is never rewritten otherwise. A log found shorter than its
signed head when opened (records cut off its end while the kit was off) gets a `log_truncated` record
naming what the head vouched for, before anything else: the next checkpoint replaces the head, so the
chain itself must keep the evidence.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kitd.audit.checkpoint import checkpoint_fields
from kitd.audit.errors import (
    AuditChainBroken,
    AuditCheckpointInvalid,
    AuditLogError,
    AuditTruncated,
)
from kitd.audit.head import SignedHead, head_path, read_head, write_head
from kitd.audit.record import GENESIS_HASH, AuditKind, AuditRecord
from kitd.audit.tail import LogContents, TailKind, read_log
from kitd.durable import fsync_folder, write_fully
from kitd.keys.signer import KitSigner
from kitd.state_dir import ensure_private_dir

log = logging.getLogger(__name__)


def rfc3339(moment: datetime) -> str:
    """A moment as the audit writes it: RFC 3339 in UTC, to the millisecond, with a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditLog:
    """The kit's append-only, hash-chained audit log on disk."""

    def __init__(
        self,
        path: Path,
        signer: KitSigner,
        *,
        checkpoint_every: int = 64,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._path = path
        self._signer = signer
        self._checkpoint_every = checkpoint_every
        self._clock = clock
        self._lock = threading.Lock()
        # Records of things already done that the disk refused (see `append_after`).
        self._backlog: list[tuple[AuditKind, str, dict[str, Any]]] = []
        ensure_private_dir(path.parent)
        data = path.read_bytes() if path.exists() else b""
        contents = read_log(data)
        records = contents.records
        self._records: list[AuditRecord] = records
        self._since_checkpoint = 0
        for record in records:
            self._since_checkpoint = (
                0 if record.kind is AuditKind.CHECKPOINT else self._since_checkpoint + 1
            )
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise AuditLogError(f"cannot open the audit log {path}: {exc}") from exc
        if contents.tail is not TailKind.NONE:
            self._cut_tail(data, contents)
        self._record_cut_tail(records)

    @property
    def path(self) -> Path:
        return self._path

    def _cut_tail(self, data: bytes, contents: LogContents) -> None:
        """Cuts what follows the last valid record, keeping the bytes aside beside the log, and says
        so in the chain: a record cut short is a repair, other bytes a truncation someone may check.
        """
        good = contents.valid_bytes
        kept = self._path.with_name(
            f"{self._path.name}.tail-{self._clock().strftime('%Y%m%dT%H%M%S%fZ')}"
        )
        fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            write_fully(fd, data[good:])
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_folder(self._path.parent)
        os.ftruncate(self._fd, good)
        os.fsync(self._fd)
        dropped = len(data) - good
        log.error(
            "audit log tail cut",
            extra={"dropped_bytes": dropped, "kept_in": kept.name, "tail": contents.tail.value},
        )
        if contents.tail is TailKind.TORN:
            self.append(AuditKind.LOG_REPAIRED, dropped_bytes=dropped, kept_in=kept.name)
        else:
            self.append(
                AuditKind.LOG_TRUNCATED,
                dropped_bytes=dropped,
                kept_in=kept.name,
                log_last_seq=contents.records[-1].seq if contents.records else -1,
                problem=f"{dropped} bytes after the last valid record were no record",
            )

    def _record_cut_tail(self, records: list[AuditRecord]) -> None:
        head: SignedHead | None = None
        try:
            head = read_head(self.head_path)
            if head is None:
                return
            head.check(
                records, keys=None
            )  # the kit's own head: its signature is checked by readers
        except (AuditTruncated, AuditChainBroken, AuditCheckpointInvalid) as exc:
            log.error("audit log shorter than its signed head", extra={"error": str(exc)})
            self.append(
                AuditKind.LOG_TRUNCATED,
                signed_head_seq=-1 if head is None else head.seq,
                log_last_seq=records[-1].seq if records else -1,
                problem=str(exc),
            )

    @property
    def head(self) -> AuditRecord | None:
        with self._lock:
            return self._records[-1] if self._records else None

    def append(self, kind: AuditKind, operator_id: str = "", /, **fields: Any) -> AuditRecord:
        with self._lock:
            self._append_backlog_locked()
            record = self._append_locked(kind, operator_id, fields)
            if kind is not AuditKind.CHECKPOINT:
                self._since_checkpoint += 1
                if self._since_checkpoint >= self._checkpoint_every:
                    self._checkpoint_locked()
            return record

    def append_after(self, kind: AuditKind, operator_id: str = "", /, **fields: Any) -> None:
        """The record of something already done, which a full log must not undo: appended now, or,
        when the disk refuses it, kept in memory and appended before the next record.
        """
        with self._lock:
            try:
                self._append_backlog_locked()
                self._append_locked(kind, operator_id, fields)
            except AuditLogError as exc:
                log.warning("audit record deferred", extra={"error": str(exc), "kind": kind.value})
                self._backlog.append((kind, operator_id, fields))
                return
            if kind is not AuditKind.CHECKPOINT:
                self._since_checkpoint += 1

    def _append_backlog_locked(self) -> None:
        while self._backlog:
            kind, operator_id, fields = self._backlog[0]
            self._append_locked(kind, operator_id, fields)
            self._backlog.pop(0)
            self._since_checkpoint += 1

    def checkpoint(self) -> AuditRecord | None:
        """Sign the current head now; None when there is nothing new to vouch for."""
        with self._lock:
            self._append_backlog_locked()
            if not self._records or self._since_checkpoint == 0:
                return None
            return self._checkpoint_locked()

    def records_since(self, seq: int) -> tuple[AuditRecord, ...]:
        """Records with a sequence number greater than `seq` (-1 for all)."""
        with self._lock:
            start = max(0, seq + 1 - (self._records[0].seq if self._records else 0))
            return tuple(self._records[start:])

    def close(self) -> None:
        self.checkpoint()
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    @property
    def head_path(self) -> Path:
        return head_path(self._path)

    def _checkpoint_locked(self) -> AuditRecord:
        head = self._records[-1]
        record = self._append_locked(
            AuditKind.CHECKPOINT, "", checkpoint_fields(self._signer, head.seq, head.hash)
        )
        self._since_checkpoint = 0
        try:
            write_head(self.head_path, SignedHead.sign(self._signer, record))
        except OSError as exc:
            raise AuditLogError(f"cannot write the signed head {self.head_path}: {exc}") from exc
        return record

    def _append_locked(
        self, kind: AuditKind, operator_id: str, fields: dict[str, Any]
    ) -> AuditRecord:
        if self._fd < 0:
            raise AuditLogError(f"the audit log {self._path} is closed")
        previous = self._records[-1] if self._records else None
        record = AuditRecord.create(
            seq=0 if previous is None else previous.seq + 1,
            time=rfc3339(self._clock()),
            kind=kind,
            operator_id=operator_id,
            fields=fields,
            prev_hash=GENESIS_HASH if previous is None else previous.hash,
        )
        encoded = record.encode()
        size = os.fstat(self._fd).st_size
        try:
            written = os.write(self._fd, encoded)
            if written != len(encoded):
                raise OSError(errno.ENOSPC, f"short write ({written} of {len(encoded)} bytes)")
            os.fsync(self._fd)
        except OSError as exc:
            # A partial record left in place would sit in front of every later one and break the
            # chain for good (a full disk writes part of a record, then fails): cut it off.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, size)
                os.fsync(self._fd)
            raise AuditLogError(f"cannot append to the audit log {self._path}: {exc}") from exc
        self._records.append(record)
        return record

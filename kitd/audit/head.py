"""The signed head: the newest checkpoint record's sequence number and hash, signed, in its own file.

Checkpoints inside the log vouch for what comes before them; nothing inside a log can vouch for how long
it is, so cutting records off its end leaves a valid shorter chain. After every checkpoint the log
writes `audit.head` beside itself, replaced atomically (temporary file, fsync, rename, fsync of the
folder): deterministic CBOR {format, seq, hash, key_id, sig}, where `sig` is an ES256 signature by the
kit key over ["kitd-audit-head/1", seq, hash]. A log that ends before `seq`, or whose record `seq` has
another hash, was cut or edited. What this cannot catch: a head file deleted or replaced by an older
one together with the cut (the packages' manifests, which carry their stretch's last record, bound
that from the back office's side). This module must never write the log itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kitd.audit.checkpoint import signature_problem
from kitd.audit.errors import AuditChainBroken, AuditCheckpointInvalid, AuditTruncated
from kitd.audit.record import AuditRecord
from kitd.durable import fsync_folder, write_fully
from kitd.keys.key_list import KitKeyList
from kitd.keys.signer import KitSigner
from kitd.package import deterministic_cbor

HEAD_FORMAT = "kitd-audit-head/1"


def head_path(log_path: Path) -> Path:
    """Where the log at `log_path` keeps its signed head: `audit.log` -> `audit.head`."""
    return log_path.with_suffix(".head")


def _signed_bytes(seq: int, record_hash: bytes) -> bytes:
    return deterministic_cbor.encode([HEAD_FORMAT, seq, record_hash])


@dataclass(frozen=True)
class SignedHead:
    """The log's last sequence number and hash, signed by the kit key, kept beside the log."""

    seq: int
    hash: bytes
    key_id: str
    sig: bytes

    @classmethod
    def sign(cls, signer: KitSigner, record: AuditRecord) -> SignedHead:
        return cls(
            record.seq,
            record.hash,
            signer.key_id,
            signer.sign_es256(_signed_bytes(record.seq, record.hash)),
        )

    def to_cbor(self) -> bytes:
        return deterministic_cbor.encode(
            {
                "format": HEAD_FORMAT,
                "seq": self.seq,
                "hash": self.hash,
                "key_id": self.key_id,
                "sig": self.sig,
            }
        )

    @classmethod
    def from_cbor(cls, data: bytes) -> SignedHead:
        try:
            doc: dict[str, Any] = deterministic_cbor.decode(data)
            if doc.get("format") != HEAD_FORMAT:
                raise ValueError(f"unknown format {doc.get('format')!r}")
            seq, hash_, key_id, sig = doc["seq"], doc["hash"], doc["key_id"], doc["sig"]
            # Checked, not converted: int(inf) raises OverflowError, bytes(10**12) is a terabyte.
            if not (
                isinstance(seq, int)
                and not isinstance(seq, bool)
                and isinstance(hash_, bytes)
                and isinstance(key_id, str)
                and isinstance(sig, bytes)
            ):
                raise ValueError("seq, hash, key_id or sig of the wrong type")
            return cls(seq, hash_, key_id, sig)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise AuditCheckpointInvalid(-1, f"the signed head is not readable: {exc}") from exc

    def check(self, records: list[AuditRecord], keys: KitKeyList | None) -> None:
        """Raises unless the chain reaches this head with the same record there.

        AuditCheckpointInvalid: the head's signature does not verify; AuditTruncated: the chain ends
        before the head; AuditChainBroken: the record at the head's position is another one.
        """
        if keys is not None:
            problem = signature_problem(
                keys, self.key_id, self.sig, _signed_bytes(self.seq, self.hash)
            )
            if problem is not None:
                raise AuditCheckpointInvalid(self.seq, f"the signed head: {problem}")
        last = records[-1].seq if records else -1
        if last < self.seq:
            raise AuditTruncated(
                f"the log ends at record {last} but its signed head vouches for record {self.seq}: "
                f"{self.seq - last} record(s) were cut off the end"
            )
        at_head = records[self.seq - records[0].seq]
        if at_head.seq != self.seq or at_head.hash != self.hash:
            raise AuditChainBroken(self.seq, "differs from the record the signed head vouches for")


def write_head(path: Path, head: SignedHead) -> None:
    """Replaces the head file atomically: a reader sees the old head or the new one, never a mix."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_fully(fd, head.to_cbor())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_folder(path.parent)


def read_head(path: Path) -> SignedHead | None:
    """The signed head in `path`, or None when the file does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return SignedHead.from_cbor(data)

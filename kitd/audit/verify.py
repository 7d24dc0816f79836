"""Checking an audit chain, whole (a kit's log file) or a stretch (a package's copy).

Verification recomputes every record hash, follows every `prev` link, checks sequence numbers are
consecutive, checks each checkpoint's signature and that it names the record just before it, and, when an
anchor is given (from a signed manifest or a later checkpoint), that the chain reaches it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cbor2

from kitd.audit.checkpoint import checkpoint_problem
from kitd.audit.errors import AuditChainBroken, AuditCheckpointInvalid, AuditTruncated
from kitd.audit.head import SignedHead
from kitd.audit.record import GENESIS_HASH, AuditKind, AuditRecord
from kitd.keys.key_list import KitKeyList


@dataclass(frozen=True)
class ChainAnchor:
    """What the chain must end with: the last sequence number and its hash."""

    last_seq: int
    head_hash: bytes


@dataclass(frozen=True)
class ChainReport:
    """A verified chain: its length, first and last sequence numbers, head hash and checkpoints."""

    count: int
    first_seq: int
    last_seq: int
    head_hash: bytes
    checkpoints: int
    # True when the chain ends with a torn record that was left out of the check.
    torn_tail: bool = False


def decode_records(data: bytes) -> tuple[list[AuditRecord], bool]:
    """The records in a CBOR sequence, and whether the data ends with a partial record."""
    records: list[AuditRecord] = []
    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        start = stream.tell()
        try:
            item = cbor2.load(stream)
        except cbor2.CBORDecodeEOF:
            stream.seek(start)
            return records, True
        except cbor2.CBORDecodeError as exc:
            raise AuditChainBroken(
                records[-1].seq + 1 if records else 0, f"undecodable bytes at offset {start}: {exc}"
            ) from exc
        try:
            records.append(AuditRecord.from_item(item))
        except ValueError as exc:
            raise AuditChainBroken(
                records[-1].seq + 1 if records else 0, f"at offset {start}: {exc}"
            ) from exc
    return records, False


def verify_chain(
    records: list[AuditRecord] | tuple[AuditRecord, ...],
    keys: KitKeyList | None = None,
    *,
    from_genesis: bool = True,
    anchor: ChainAnchor | None = None,
) -> ChainReport:
    """Check a chain; raises AuditChainBroken, AuditTruncated or AuditCheckpointInvalid.

    `from_genesis` demands that the chain starts at sequence 0 with the zero `prev` (a kit's whole log);
    a package's stretch starts anywhere. Without `keys`, checkpoint signatures are not checked.
    """
    if not records:
        if anchor is not None or from_genesis:
            raise AuditTruncated("the audit chain is empty")
        return ChainReport(0, 0, -1, GENESIS_HASH, 0)
    first = records[0]
    if from_genesis and (first.seq != 0 or first.prev_hash != GENESIS_HASH):
        raise AuditTruncated(f"the chain starts at record {first.seq}, not at the first record 0")
    checkpoints = 0
    previous: AuditRecord | None = None
    for record in records:
        _check_link(record, previous)
        if record.kind is AuditKind.CHECKPOINT:
            _check_checkpoint(record, previous, keys)
            checkpoints += 1
        previous = record
    last = records[-1]
    if anchor is not None:
        _check_anchor(last, anchor)
    return ChainReport(len(records), first.seq, last.seq, last.hash, checkpoints)


def _check_link(record: AuditRecord, previous: AuditRecord | None) -> None:
    """The record is unedited and follows `previous` by sequence number and hash."""
    if record.computed_hash() != record.hash:
        raise AuditChainBroken(record.seq, "its content does not match its hash (edited)")
    if previous is None:
        return
    if record.seq != previous.seq + 1:
        raise AuditChainBroken(
            record.seq, f"follows record {previous.seq}: records are missing or reordered"
        )
    if record.prev_hash != previous.hash:
        raise AuditChainBroken(record.seq, "does not link to the hash of the record before")


def _check_checkpoint(
    record: AuditRecord, previous: AuditRecord | None, keys: KitKeyList | None
) -> None:
    """A checkpoint names the record just before it and, given `keys`, carries a valid signature."""
    if previous is not None and (
        record.fields.get("head_seq") != previous.seq
        or record.fields.get("head_hash") != previous.hash
    ):
        raise AuditCheckpointInvalid(record.seq, "does not name the record just before it")
    if keys is not None:
        problem = checkpoint_problem(record.fields, keys)
        if problem is not None:
            raise AuditCheckpointInvalid(record.seq, problem)


def _check_anchor(last: AuditRecord, anchor: ChainAnchor) -> None:
    """The chain reaches the anchor and ends exactly there."""
    if last.seq < anchor.last_seq:
        raise AuditTruncated(
            f"the chain ends at record {last.seq} but should reach record {anchor.last_seq}"
        )
    if last.seq != anchor.last_seq or last.hash != anchor.head_hash:
        raise AuditChainBroken(last.seq, "the chain head differs from the signed anchor")


def verify_log_bytes(
    data: bytes,
    keys: KitKeyList | None = None,
    anchor: ChainAnchor | None = None,
    head: SignedHead | None = None,
) -> ChainReport:
    """Check a kit's whole log file; a torn last record is reported as truncation.

    With the log's signed `head` (kitd.audit.head), a log that ends before it is AuditTruncated.
    """
    records, torn = decode_records(data)
    if torn:
        raise AuditTruncated(
            f"the log ends with a partial record after record "
            f"{records[-1].seq if records else 'none'} (cut off mid-write or truncated)"
        )
    if head is not None and not records:
        raise AuditTruncated(f"the log is empty but its signed head vouches for record {head.seq}")
    report = verify_chain(records, keys, from_genesis=True, anchor=anchor)
    if head is not None:
        head.check(records, keys)
    for record in records:
        if record.kind is AuditKind.LOG_TRUNCATED:
            raise AuditTruncated(
                f"record {record.seq}: the kit found this log cut short when it opened it "
                f"({record.fields.get('problem', 'shorter than its signed head')})"
            )
    return report

"""Reading a kit's audit log up to its last valid record, and telling a damaged tail from a damaged middle.

A power cut during an append can leave the end of the file as a record cut short, as zeros (the file
grew, its last blocks were never written) or as stale bytes. None of that was ever acknowledged (an
append returns after its fsync), so the log may cut it off and carry on. Bytes that are no record
*followed by* a record that continues the chain are something else: a record spoiled in the middle,
which nobody may cut away (AuditChainBroken). This module only reads; the log does the cutting.
"""

from __future__ import annotations

import enum
import io
from dataclasses import dataclass

import cbor2

from kitd.audit.errors import AuditChainBroken
from kitd.audit.record import AuditRecord

# Every record is a CBOR map of 7 pairs: where a later record could begin.
_RECORD_START = 0xA7


class TailKind(enum.Enum):
    """What follows the last valid record."""

    NONE = "none"
    # A record cut short: its start is there, the data ends before it does.
    TORN = "torn"
    # Bytes that are no record at all (zeros, stale blocks).
    GARBAGE = "garbage"


@dataclass(frozen=True)
class LogContents:
    """The valid records of a log, where they end, and what follows them."""

    records: list[AuditRecord]
    valid_bytes: int
    tail: TailKind


def read_log(data: bytes) -> LogContents:
    """The records up to the first bytes that do not continue the chain; raises AuditChainBroken when
    a record continuing the chain follows those bytes (the damage is inside the log, not at its end).
    """
    records: list[AuditRecord] = []
    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        start = stream.tell()
        tail: TailKind | None = None
        try:
            record = AuditRecord.from_item(cbor2.load(stream))
        except cbor2.CBORDecodeEOF:
            tail = TailKind.TORN
        except (cbor2.CBORDecodeError, ValueError):
            tail = TailKind.GARBAGE
        else:
            if not _continues(records, record):
                tail = TailKind.GARBAGE
        if tail is not None:
            last_seq = records[-1].seq if records else -1
            found = _later_record(data, start + 1, last_seq)
            if found is not None:
                raise AuditChainBroken(
                    last_seq + 1,
                    f"bytes at offset {start} are no record, yet record {found} follows them",
                )
            return LogContents(records, start, tail)
        records.append(record)
    return LogContents(records, len(data), TailKind.NONE)


def _continues(records: list[AuditRecord], record: AuditRecord) -> bool:
    if not records:
        return True
    previous = records[-1]
    return record.seq == previous.seq + 1 and record.prev_hash == previous.hash


def _later_record(data: bytes, offset: int, last_seq: int) -> int | None:
    """The sequence number of a record after `last_seq` that starts at or after `offset`, if any."""
    position = data.find(bytes([_RECORD_START]), offset)
    while position >= 0:
        try:
            record = AuditRecord.from_item(cbor2.load(io.BytesIO(data[position:])))
        except (cbor2.CBORDecodeError, ValueError, RecursionError):
            record = None
        if record is not None and record.seq > last_seq and record.computed_hash() == record.hash:
            return record.seq
        position = data.find(bytes([_RECORD_START]), position + 1)
    return None

"""One audit record and its encoding.

A record is a deterministic-CBOR map {seq, t, kind, op, f, prev, h} where `h` is the SHA-256 of the same map
without `h`, and `prev` is the `h` of the record before (32 zero bytes for the first record of a kit).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from kitd.package import deterministic_cbor

_T = TypeVar("_T")

GENESIS_HASH = bytes(32)


class AuditKind(enum.StrEnum):
    """What an audit record says happened; the value is what the log stores."""

    VISIT_STARTED = "visit_started"
    VISIT_FINISHED = "visit_finished"
    ATTEMPT = "attempt"
    OVERRIDE = "override"
    EXCEPTION = "exception"
    WAIVER = "waiver"
    # A card delivery's visual identity check by the operator, with the reason.
    IDENTITY_CHECK = "identity_check"
    # A home visit's eligibility: the request, whether a doctor's certificate was shown, the place.
    ELIGIBILITY = "eligibility"
    DEVICE_FAULT = "device_fault"
    PACKAGE_SEALED = "package_sealed"
    PACKAGE_RECOVERED = "package_recovered"
    PACKAGE_UPLOADED = "package_uploaded"
    PACKAGE_UPLOAD_FAILED = "package_upload_failed"
    PACKAGE_DELETED = "package_deleted"
    PACKAGE_EXPIRED = "package_expired"
    # The wall clock moved away from the time the kit measured (kitd.clock.trusted).
    CLOCK_JUMPED = "clock_jumped"
    CHECKPOINT = "checkpoint"
    LOG_REPAIRED = "log_repaired"
    # At open, the log ended before its signed head (kitd.audit.head): records were cut off its end.
    LOG_TRUNCATED = "log_truncated"


@dataclass(frozen=True)
class AuditRecord:
    """One record of the audit chain, with the hash that links it to the one before."""

    seq: int
    # RFC 3339 UTC with milliseconds.
    time: str
    kind: AuditKind
    operator_id: str
    fields: dict[str, Any]
    prev_hash: bytes
    hash: bytes

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t": self.time,
            "kind": self.kind.value,
            "op": self.operator_id,
            "f": self.fields,
            "prev": self.prev_hash,
        }

    def encode(self) -> bytes:
        return deterministic_cbor.encode({**self.body(), "h": self.hash})

    def computed_hash(self) -> bytes:
        return hashlib.sha256(deterministic_cbor.encode(self.body())).digest()

    @classmethod
    def create(
        cls,
        *,
        seq: int,
        time: str,
        kind: AuditKind,
        operator_id: str,
        fields: dict[str, Any],
        prev_hash: bytes,
    ) -> AuditRecord:
        unsealed = cls(seq, time, kind, operator_id, fields, prev_hash, b"")
        return cls(seq, time, kind, operator_id, fields, prev_hash, unsealed.computed_hash())

    @classmethod
    def from_item(cls, item: Any) -> AuditRecord:
        """From a decoded CBOR map; raises ValueError when the shape is wrong. Every field is
        type-checked, not converted: a log or a package comes from outside, and `bytes(10**12)` is a
        terabyte, `int(inf)` an OverflowError.
        """
        if not isinstance(item, Mapping):
            raise ValueError(f"not an audit record: a {type(item).__name__}, not a map")
        fields = item.get("f")
        if not isinstance(fields, Mapping):
            raise ValueError("not an audit record: its fields are not a map")
        kind_name = _typed(item, "kind", str)
        try:
            kind = AuditKind(kind_name)
        except ValueError:
            raise ValueError(f"not an audit record: no kind {kind_name[:40]!r}") from None
        return cls(
            seq=_typed(item, "seq", int),
            time=_typed(item, "t", str),
            kind=kind,
            operator_id=_typed(item, "op", str),
            fields=dict(fields),
            prev_hash=_typed(item, "prev", bytes),
            hash=_typed(item, "h", bytes),
        )


def _typed(item: Mapping[Any, Any], key: str, kind: type[_T]) -> _T:
    value = item.get(key)
    # bool is an int to Python, never to CBOR.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(
            f"not an audit record: {key!r} is {type(value).__name__}, not {kind.__name__}"
        )
    return value


def encode_records(records: tuple[AuditRecord, ...] | list[AuditRecord]) -> bytes:
    """A CBOR sequence (RFC 8742) of records, as stored in the log and in packages."""
    return b"".join(record.encode() for record in records)

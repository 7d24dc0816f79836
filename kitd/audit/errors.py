"""Typed errors of the audit chain; each names the record (sequence number) where checking stopped."""

from __future__ import annotations


class AuditError(Exception):
    """Base class for audit log problems."""


class AuditChainBroken(AuditError):
    """A record's hash or link to its predecessor is wrong: the chain was edited."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"audit record {seq}: {reason}")
        self.seq = seq


class AuditTruncated(AuditError):
    """Records are missing at the start or end of the chain, or the last record is cut off."""


class AuditCheckpointInvalid(AuditError):
    """A checkpoint's signature does not verify, or its key is not a published kit key."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"audit checkpoint {seq}: {reason}")
        self.seq = seq


class AuditLogError(AuditError):
    """The log file cannot be opened or appended to."""

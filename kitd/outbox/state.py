"""The life of a package in the outbox (the same states as kit.v1 PackageState)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class PackageState(enum.Enum):
    """Where a package is in its life: sealed, uploading, acknowledged, deleted."""

    SEALED = "sealed"
    UPLOADING = "uploading"
    ACKNOWLEDGED = "acknowledged"
    DELETED = "deleted"


@dataclass(frozen=True)
class PackageInfo:
    """One package of the outbox as its row describes it."""

    package_id: str
    state: PackageState
    sha256: str
    size: int
    # Seconds since the epoch (UTC).
    sealed_at: float
    expires_at: float
    upload_attempts: int
    last_error: str
    next_attempt_at: float
    recipient_key_id: str
    path: str
    # Never delivered, past the ceiling by the wall clock but not by kit time (kitd.clock.trusted):
    # kept until a person decides.
    held: bool = False


@dataclass(frozen=True)
class EnqueuedPackage:
    """What enqueue returns: the stored package's id, digest, size and path."""

    package_id: str
    sha256: str
    size: int
    path: str


@dataclass(frozen=True)
class OutboxStatus:
    """The outbox at a glance: pending work, free space, retention, last upload and error."""

    pending: int
    acknowledged: int
    pending_bytes: int
    oldest_pending_sealed_at: float | None
    free_bytes: int
    min_free_bytes: int
    retention_days: int
    last_error: str
    last_upload_at: float | None
    # Pending packages held (see PackageInfo.held).
    held: int = 0


@dataclass(frozen=True)
class FlushResult:
    """What one upload pass did: counts and the rows it touched."""

    uploaded: int
    failed: int
    packages: tuple[PackageInfo, ...]
    # Another pass was running and did not end in time: it goes on in the background, and
    # `packages` are the pending ones as they stand.
    already_running: bool = False

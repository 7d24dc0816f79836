"""Typed outbox and upload errors; each says what to do about it."""

from __future__ import annotations

from kitd.locale.catalogs import english
from kitd.locale.message import Message


class OutboxError(Exception):
    """Base class for outbox problems."""


class InsufficientSpace(OutboxError):
    """The state directory cannot take a package: free space is below the configured floor, a write
    ran out of space (ENOSPC, EDQUOT, SQLite full), or the file system is read-only. Nothing of the
    package stays behind; the same call succeeds once space returns.
    """

    def __init__(self, path: str, free_bytes: int, min_free_bytes: int, cause: str = "") -> None:
        # The cause is the file system's own words (English, like a driver's detail).
        self.message = (
            Message.of("error.storage_write_failed", cause=cause, path=path, free=_size(free_bytes))
            if cause
            else Message.of(
                "error.storage_low", path=path, free=_size(free_bytes), needed=_size(min_free_bytes)
            )
        )
        super().__init__(english(self.message))
        self.path = path
        self.free_bytes = free_bytes
        self.min_free_bytes = min_free_bytes


def _size(count: int) -> str:
    return f"{count // (1 << 20)} MiB" if count >= 1 << 20 else f"{count // 1024} KiB"


class DuplicatePackage(OutboxError):
    """A package with this id is already in the outbox with different bytes."""


class VisitAlreadySealed(OutboxError):
    """The visit already has its package in the outbox; a visit never gets a second one."""

    def __init__(self, session_id: str, package_id: str) -> None:
        super().__init__(f"visit {session_id} already has package {package_id} in the outbox")
        self.session_id = session_id
        self.package_id = package_id


class NotAPackage(OutboxError):
    """The bytes offered to the outbox are not a kitd sealed package."""


class UnknownPackage(OutboxError):
    """No package with this id in the outbox."""


class UploadError(OutboxError):
    """One upload attempt failed; the package stays and is retried later."""


class ReceiverUnavailable(UploadError):
    """The receiver could not be reached or answered with a server error."""


class ReceiverRejected(UploadError):
    """The receiver refused the package (4xx); the reason is in the message."""


class WrongReceipt(UploadError):
    """The receiver's receipt does not name this package's id and SHA-256; the package is kept."""


class UploadConfigError(OutboxError):
    """The receiver URL or TLS files are missing or unusable."""

"""Typed outbox and upload errors; each says what to do about it."""

from __future__ import annotations


class OutboxError(Exception):
    """Base class for outbox problems."""


class InsufficientSpace(OutboxError):
    """Free space under the state directory is below the configured floor: no new visit may start."""

    def __init__(self, path: str, free_bytes: int, min_free_bytes: int) -> None:
        super().__init__(
            f"only {free_bytes // (1 << 20)} MiB free under {path}; a new visit needs at least "
            f"{min_free_bytes // (1 << 20)} MiB. Connect the kit so the outbox can upload, or free space"
        )
        self.path = path
        self.free_bytes = free_bytes
        self.min_free_bytes = min_free_bytes


class DuplicatePackage(OutboxError):
    """A package with this id is already in the outbox with different bytes."""


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

"""The daemon's domain errors: what went wrong in a visit, independent of gRPC.

Each carries a `reason` named like kit.v1.ErrorReason (without the prefix); the API layer turns it into
a status code and a google.rpc.ErrorInfo. Messages are for people: they say what to do. An error raised
with a `Message` (a catalog id) is rendered in the caller's language by the API layer; its str() is the
English text, for logs. One raised with a plain string is shown as it is.
"""

from __future__ import annotations

from typing import ClassVar

from hal.errors import DeviceTimeout
from kitd.locale.catalogs import english
from kitd.locale.message import Message


class KitError(Exception):
    """A domain error with a stable reason and metadata, which the API layer maps to a status."""

    reason: ClassVar[str] = "UNSPECIFIED"

    def __init__(self, message: str | Message, **metadata: str) -> None:
        super().__init__(english(message) if isinstance(message, Message) else message)
        self.message: Message | None = message if isinstance(message, Message) else None
        self.metadata = metadata


class InvalidArgument(KitError):
    """A request value the daemon cannot accept."""

    reason = "INVALID_ARGUMENT"


class CapabilityMissing(KitError):
    """The daemon cannot do this (not configured, or not built into this version)."""

    reason = "CAPABILITY_MISSING"


class SessionNotFound(KitError):
    """No session has that id, or it has ended."""

    reason = "SESSION_NOT_FOUND"


class SessionActive(KitError):
    """Another visit is in progress on this kit."""

    reason = "SESSION_ACTIVE"


class SessionLost(KitError):
    """The session ended without a package (daemon restart, timeout); its captures are gone."""

    reason = "SESSION_LOST"


class StepNotAllowed(KitError):
    """The policy or the session's state does not allow this step now."""

    reason = "STEP_NOT_ALLOWED"


class PolicyViolation(KitError):
    """Finalizing would break the document policy (missing captures, unmet thresholds)."""

    reason = "POLICY_VIOLATION"


class AttemptNotFound(KitError):
    """The session has no attempt with that id."""

    reason = "ATTEMPT_NOT_FOUND"


class StorageFull(KitError):
    """Not enough free disk space to take a visit safely."""

    reason = "STORAGE_FULL"


class ClockUntrusted(KitError):
    """The kit's clock is behind the latest time it already used, or before the software's release:
    no visit starts, its package would carry a wrong date (kitd.clock.trusted).
    """

    reason = "CLOCK_UNTRUSTED"


class DeviceNotFound(KitError):
    """No device with that id is configured."""

    reason = "DEVICE_NOT_FOUND"


class CaptureTimeout(DeviceTimeout):
    """Nothing a capture waits for happened before its deadline (no face seen): a device timeout whose
    detail is advice for the operator, rendered in their language.
    """

    def __init__(self, message: Message, *, device: str) -> None:
        super().__init__(english(message), device=device)
        self.message = message


class ShuttingDown(KitError):
    """The daemon is stopping; the call can be retried once it is back."""

    reason = "SHUTTING_DOWN"

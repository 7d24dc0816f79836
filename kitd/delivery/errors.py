"""Typed errors of a reference download; each kind of fault has its own, so the app can say which."""

from __future__ import annotations

from kitd.errors import KitError
from kitd.locale.message import Message


class DeliveryReferenceError(KitError):
    """Base class: the reference download cannot be used."""

    reason = "REFERENCE_INVALID"


class ReferenceMalformed(DeliveryReferenceError):
    """The bytes are not a sealed reference download (bad magic, truncated, unreadable)."""

    reason = "REFERENCE_INVALID"


class ReferenceTampered(DeliveryReferenceError):
    """Decryption or the back office's signature refused it: it was edited, forged or re-sealed."""

    reason = "REFERENCE_TAMPERED"


class ReferenceExpired(DeliveryReferenceError):
    """The reference is past its expiry (or not yet valid): ask the back office for a new one."""

    reason = "REFERENCE_EXPIRED"


class ReferenceNotForThisKit(DeliveryReferenceError):
    """The reference was sealed to another kit (or another of this kit's keys)."""

    reason = "REFERENCE_NOT_FOR_THIS_KIT"


class ReferenceTooLarge(DeliveryReferenceError):
    """The download is larger than any reference the back office seals: refused before it is read."""

    reason = "REFERENCE_INVALID"

    def __init__(self, *, size: str, limit: str) -> None:
        super().__init__(Message.of("error.reference_too_large", size=size, limit=limit))


class ReferenceValidityTooLong(DeliveryReferenceError):
    """The reference is valid for longer than the delivery policy allows."""

    reason = "REFERENCE_VALIDITY_TOO_LONG"

    def __init__(self, *, days: str, max_days: str) -> None:
        super().__init__(
            Message.of("error.reference_validity_too_long", days=days, max_days=max_days)
        )


class ReferenceAlreadyUsed(DeliveryReferenceError):
    """A completed delivery on this kit already used this reference: a download serves one delivery."""

    reason = "REFERENCE_ALREADY_USED"

    def __init__(self, reference_id: str) -> None:
        super().__init__(
            Message.of("error.reference_already_used", reference_id=reference_id),
            reference_id=reference_id,
        )


class VisualCheckNotAllowed(KitError):
    """The operator's visual identity check is not open: the policy forbids it, the reference has no
    photo, or the fingerprint attempts are not used up.
    """

    reason = "VISUAL_CHECK_NOT_ALLOWED"

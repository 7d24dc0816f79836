"""Typed errors of a reference download; each kind of fault has its own, so the app can say which."""

from __future__ import annotations

from kitd.errors import KitError


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

"""The kit signer: what the package and the audit log need from the kit key, whatever stores it.

A signer produces ES256 (ECDSA P-256 with SHA-256) signatures in the raw r||s form COSE uses. It must never
expose the private key.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property

from cryptography.hazmat.primitives.asymmetric import ec

from kitd.keys.key_id import key_id_of

ES256_SIGNATURE_SIZE = 64


class KitSigner(ABC):
    """One kit key. Subclasses implement `public_key` and `_sign_digest`; the base does the rest."""

    @property
    @abstractmethod
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The public half, as published in the kit key list."""

    @abstractmethod
    def sign_es256(self, data: bytes) -> bytes:
        """ES256 signature of `data`: SHA-256 then ECDSA P-256, returned as 64 bytes r||s."""

    @cached_property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def close(self) -> None:
        """Release a token session; a file key has nothing to release."""
        return

"""Key ids: a short, stable name for a public key, derived from the key itself.

A key id is the first 16 bytes of the SHA-256 of the key's DER SubjectPublicKeyInfo, in lowercase hex. A new
key therefore always gets a new id, and anyone holding the public key can recompute it.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def key_id_of(public_key: ec.EllipticCurvePublicKey) -> str:
    """A public key's id: the first 16 bytes of the SHA-256 of its SubjectPublicKeyInfo, in hex."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).digest()[:16].hex()

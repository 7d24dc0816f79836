"""HPKE (RFC 9180) base mode with DHKEM(P-256, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM.

cryptography (>= 47) implements this suite; its single-shot API returns enc || ciphertext with an empty
AAD, and `info` binds the package header. Sealing needs only the recipient's public key, which is why the
kit cannot open what it sealed.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ec

from kitd.package.errors import HeaderMismatch, MalformedPackage

SUITE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
# Uncompressed P-256 point.
ENC_SIZE = 65
TAG_SIZE = 16


def seal(plaintext: bytes, recipient: ec.EllipticCurvePublicKey, info: bytes) -> bytes:
    """`plaintext` sealed with HPKE (base mode) to the recipient's P-256 public key."""
    return SUITE.encrypt(plaintext, recipient, info=info)


def open_sealed(body: bytes, recipient: ec.EllipticCurvePrivateKey, info: bytes) -> bytes:
    """The plaintext of an HPKE-sealed body; a body the key cannot open is a HeaderMismatch."""
    if len(body) < ENC_SIZE + TAG_SIZE:
        raise MalformedPackage(f"the sealed body has {len(body)} bytes, too short for HPKE")
    try:
        return SUITE.decrypt(body, recipient, info=info)
    except InvalidTag as exc:
        raise HeaderMismatch(
            "HPKE refused to open the body with this header: the header was swapped or edited, or the "
            "body was forged with a matching digest"
        ) from exc
    except ValueError as exc:
        raise MalformedPackage(
            f"the HPKE encapsulated key is not a valid P-256 point: {exc}"
        ) from exc

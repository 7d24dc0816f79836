"""The seal is RFC 9180 base mode with DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.

cryptography does the sealing; here an independent receiver written from the RFC's key schedule (§4, §5.1)
on plain ECDH, HMAC and AES-GCM opens it, which pins the suite ids, the labels and the `info` binding.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from kitd.package import hpke

KEM_ID = 0x0010
KDF_ID = 0x0001
AEAD_ID = 0x0002


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()


def _labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite + label + ikm)


def _labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    labeled = length.to_bytes(2, "big") + b"HPKE-v1" + suite + label + info
    return HKDFExpand(hashes.SHA256(), length, labeled).derive(prk)


def rfc9180_open(sealed: bytes, recipient: ec.EllipticCurvePrivateKey, info: bytes) -> bytes:
    enc, ciphertext = sealed[:65], sealed[65:]
    kem_suite = b"KEM" + KEM_ID.to_bytes(2, "big")
    pk_e = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), enc)
    dh = recipient.exchange(ec.ECDH(), pk_e)
    pk_rm = recipient.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    eae_prk = _labeled_extract(kem_suite, b"", b"eae_prk", dh)
    shared = _labeled_expand(kem_suite, eae_prk, b"shared_secret", enc + pk_rm, 32)

    suite = b"HPKE" + b"".join(i.to_bytes(2, "big") for i in (KEM_ID, KDF_ID, AEAD_ID))
    psk_id_hash = _labeled_extract(suite, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(suite, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = _labeled_extract(suite, shared, b"secret", b"")
    key = _labeled_expand(suite, secret, b"key", context, 32)
    nonce = _labeled_expand(suite, secret, b"base_nonce", context, 12)
    return AESGCM(key).decrypt(nonce, ciphertext, b"")


def test_sealed_bytes_open_with_the_rfc_9180_key_schedule() -> None:
    recipient = ec.generate_private_key(ec.SECP256R1())
    sealed = hpke.seal(b"visit payload", recipient.public_key(), b"header bytes")
    assert rfc9180_open(sealed, recipient, b"header bytes") == b"visit payload"


def test_the_info_is_part_of_the_key_schedule() -> None:
    recipient = ec.generate_private_key(ec.SECP256R1())
    sealed = hpke.seal(b"visit payload", recipient.public_key(), b"header bytes")
    with pytest.raises(InvalidTag):
        rfc9180_open(sealed, recipient, b"other header")


def test_an_independent_rfc_9180_sealer_is_opened_by_kitd() -> None:
    # The reverse direction: a sender built from the RFC, a kitd receiver.
    recipient = ec.generate_private_key(ec.SECP256R1())
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    enc = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    pk_rm = recipient.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    kem_suite = b"KEM" + KEM_ID.to_bytes(2, "big")
    dh = ephemeral.exchange(ec.ECDH(), recipient.public_key())
    shared = _labeled_expand(
        kem_suite,
        _labeled_extract(kem_suite, b"", b"eae_prk", dh),
        b"shared_secret",
        enc + pk_rm,
        32,
    )
    suite = b"HPKE" + b"".join(i.to_bytes(2, "big") for i in (KEM_ID, KDF_ID, AEAD_ID))
    context = (
        b"\x00"
        + _labeled_extract(suite, b"", b"psk_id_hash", b"")
        + _labeled_extract(suite, b"", b"info_hash", b"hdr")
    )
    secret = _labeled_extract(suite, shared, b"secret", b"")
    key = _labeled_expand(suite, secret, b"key", context, 32)
    nonce = _labeled_expand(suite, secret, b"base_nonce", context, 12)
    sealed = enc + AESGCM(key).encrypt(nonce, b"from the RFC", b"")
    assert hpke.open_sealed(sealed, recipient, b"hdr") == b"from the RFC"

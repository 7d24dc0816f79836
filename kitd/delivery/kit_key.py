"""The kit's delivery key: the P-256 key reference downloads are sealed to, apart from the signing key.

A separate key because the signing key may live in a PKCS#11 token (which HPKE cannot use here) and one
key should not both sign and decrypt. It is a PKCS#8 PEM file, 0600 in a 0700 folder, created at the
daemon's first start; its public key is published next to the kit's other public keys for the back
office. This module never logs, copies or re-exports the private key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kitd.keys.errors import KeyStoreError
from kitd.keys.file_key import KEY_DIR_MODE, KEY_FILE_MODE, check_private_path, create_private_key


def load_or_create_delivery_key(path: Path, public_path: Path) -> ec.EllipticCurvePrivateKey:
    """The delivery key at `path`, created on first use; its public key is (re)written to `public_path`."""
    if not path.exists():
        create_private_key(path)
    check_private_path(path.parent, KEY_DIR_MODE)
    check_private_path(path, KEY_FILE_MODE)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError(f"{path} does not hold an EC P-256 private key")
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if not public_path.exists() or public_path.read_bytes() != public:
        tmp = public_path.with_name(public_path.name + ".tmp")
        tmp.write_bytes(public)
        os.replace(tmp, public_path)
    return key


def load_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from a PEM file (the back office's signing key, or a kit's delivery key)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise KeyStoreError(f"{path}: not a readable PEM public key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError(f"{path} does not hold an EC P-256 public key")
    return key

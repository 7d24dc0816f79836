"""The back office's recipient key pair (P-256): the public half goes on every kit, the private half
stays in the back office and opens packages.

A kit only ever loads the public key; it must never hold the private one, which is what makes a sealed
package unreadable on the kit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kitd.keys.errors import KeyStoreError, KitKeyNotFound
from kitd.keys.file_key import KEY_FILE_MODE, check_private_path, write_key_pair
from kitd.keys.key_id import key_id_of

PRIVATE_NAME = "recipient.key.pem"
PUBLIC_NAME = "recipient.pub.pem"


@dataclass(frozen=True)
class RecipientKeyPair:
    """The back office's key pair that packages are sealed to."""

    private_path: Path
    public_path: Path
    key_id: str

    @classmethod
    def generate(cls, out_dir: Path) -> RecipientKeyPair:
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        private_path = out_dir / PRIVATE_NAME
        public_path = out_dir / PUBLIC_NAME
        write_key_pair(key, private_path, public_path)
        return cls(private_path, public_path, key_id_of(key.public_key()))


def load_recipient_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    """The back office's P-256 public key that packages are sealed to, from a PEM file."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError as exc:
        raise KitKeyNotFound(f"recipient public key {path} does not exist") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError(f"{path} is not an EC P-256 public key")
    return key


def load_recipient_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The back office's P-256 private key from a PEM file that only its owner may read."""
    try:
        check_private_path(path, KEY_FILE_MODE)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise KitKeyNotFound(f"recipient private key {path} does not exist") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError(f"{path} is not an EC P-256 private key")
    return key

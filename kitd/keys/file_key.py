"""The file-key fallback: the kit key as a PKCS#8 PEM file, for boards without a TPM.

The file must be mode 0600 (or stricter) inside a directory of mode 0700 (or stricter), both owned by the
user running kitd; anything looser is refused at start so a misconfigured kit never signs. This module never
logs, copies or re-exports the private key.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from kitd.keys.errors import InsecureKeyPermissions, KeyStoreError, KitKeyNotFound
from kitd.keys.signer import KitSigner
from kitd.state_dir import ensure_private_dir

KEY_FILE_MODE = 0o600
KEY_DIR_MODE = 0o700


def check_private_path(path: Path, wanted: int) -> None:
    """Refuse a file or directory that group or others can access, or that another user owns."""
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    if mode & ~wanted & 0o077:
        raise InsecureKeyPermissions(str(path), mode, wanted)
    if info.st_uid != os.geteuid():
        raise InsecureKeyPermissions(str(path), mode, wanted)


def create_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """A new P-256 key written to `path` (which must not exist) 0600 in a 0700 folder, fsynced."""
    ensure_private_dir(path.parent)
    os.chmod(path.parent, KEY_DIR_MODE)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL: rotation must never overwrite a key that older packages were signed with.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
        out.flush()
        os.fsync(out.fileno())
    return key


def write_key_pair(key: ec.EllipticCurvePrivateKey, private_path: Path, public_path: Path) -> None:
    """Writes a key pair: the private half (PKCS#8 PEM, 0600, to a path that must not exist yet) and
    the public half (SubjectPublicKeyInfo PEM).
    """
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


class FileKeySigner(KitSigner):
    """The kit key as a PEM file in the state directory (the `file` backend)."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise KeyStoreError(f"the kit key must be on P-256, not {private_key.curve.name}")
        self._private_key = private_key

    @classmethod
    def load(cls, path: Path) -> FileKeySigner:
        if not path.exists():
            raise KitKeyNotFound(f"kit key file {path} does not exist; create it with generate()")
        check_private_path(path.parent, KEY_DIR_MODE)
        check_private_path(path, KEY_FILE_MODE)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeyStoreError(f"{path} holds a {type(key).__name__}, not an EC P-256 key")
        return cls(key)

    @classmethod
    def generate(cls, path: Path) -> FileKeySigner:
        """Create a new P-256 key at `path` (which must not exist), with the modes `load` demands."""
        return cls(create_private_key(path))

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._private_key.public_key()

    def sign_es256(self, data: bytes) -> bytes:
        der = self._private_key.sign(data, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

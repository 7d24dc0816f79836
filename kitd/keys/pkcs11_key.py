"""The kit key on a PKCS#11 token: the board's TPM through tpm2-pkcs11, SoftHSM2 in CI.

The private key is generated on the token as non-extractable and only ever used through C_Sign with
CKM_ECDSA on a SHA-256 digest computed here (the mechanism every token supports). This module must never
ask a token to export a private key, and never writes the PIN anywhere.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from kitd.keys.errors import KeyStoreError, KitKeyNotFound, TokenError
from kitd.keys.signer import ES256_SIGNATURE_SIZE, KitSigner

P256_OID = "secp256r1"


def open_token_session(module_path: Path, token_label: str, pin: str) -> Any:
    """A read-write user session on the token, or a TokenError saying which part failed."""
    try:
        library = pkcs11.lib(str(module_path))
    except (OSError, RuntimeError, pkcs11.PKCS11Error) as exc:
        raise TokenError(f"cannot load PKCS#11 module {module_path}: {exc}") from exc
    try:
        token = library.get_token(token_label=token_label)
    except pkcs11.NoSuchToken as exc:
        raise TokenError(
            f"no token labelled {token_label!r} in {module_path}; initialise it "
            f"(softhsm2-util --init-token / tpm2_ptool addtoken)"
        ) from exc
    try:
        return token.open(user_pin=pin, rw=True)
    except pkcs11.UserAlreadyLoggedIn:
        # PKCS#11 logins belong to the process, not the session: another session is logged in already
        # and this one shares its login (and is logged out with it). Pkcs11Signer.rotate avoids that.
        return token.open(rw=True)
    except pkcs11.PinIncorrect as exc:
        raise TokenError(f"the PIN for token {token_label!r} was refused") from exc
    except pkcs11.PKCS11Error as exc:
        raise TokenError(f"cannot open a session on token {token_label!r}: {exc!r}") from exc


class _SharedSession:
    """One logged-in token session shared by the signers of a process.

    PKCS#11 logins belong to the process: closing any logged-in session logs every session out. Signers
    made by `rotate` therefore share their parent's session, which closes with the last of them.
    """

    def __init__(self, session: Any) -> None:
        self.session = session
        self.users = 1
        # A session runs one operation at a time; the uploader, the audit log and the sealer may sign
        # from different threads.
        self.lock = threading.Lock()

    def release(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users == 0:
                self.session.close()


class Pkcs11Signer(KitSigner):
    """The kit key on a PKCS#11 token (TPM on the board, SoftHSM2 in the demo)."""

    def __init__(
        self, shared: _SharedSession, private_key: Any, public_key: ec.EllipticCurvePublicKey
    ) -> None:
        self._shared = shared
        self._private_key = private_key
        self._public_key = public_key
        self._closed = False

    @classmethod
    def load(cls, module_path: Path, token_label: str, pin: str, key_label: str) -> Pkcs11Signer:
        session = open_token_session(module_path, token_label, pin)
        try:
            private = session.get_key(ObjectClass.PRIVATE_KEY, KeyType.EC, label=key_label)
            public = session.get_key(ObjectClass.PUBLIC_KEY, KeyType.EC, label=key_label)
        except pkcs11.NoSuchKey as exc:
            session.close()
            raise KitKeyNotFound(
                f"token {token_label!r} has no EC key pair labelled {key_label!r}"
            ) from exc
        except pkcs11.MultipleObjectsReturned as exc:
            session.close()
            raise KeyStoreError(
                f"token {token_label!r} has several keys labelled {key_label!r}; labels must be unique"
            ) from exc
        return cls(_SharedSession(session), private, _cryptography_public_key(public))

    @classmethod
    def generate(
        cls, module_path: Path, token_label: str, pin: str, key_label: str
    ) -> Pkcs11Signer:
        """Generate a non-extractable P-256 key pair on the token under a label not yet used."""
        shared = _SharedSession(open_token_session(module_path, token_label, pin))
        try:
            return cls._generate_in(shared, key_label)
        except (KeyStoreError, pkcs11.PKCS11Error):
            shared.release()
            raise

    def rotate(self, new_key_label: str) -> Pkcs11Signer:
        """A new key pair on the same token and session; publish its key, then retire this one."""
        with self._shared.lock:
            self._shared.users += 1
        try:
            return self._generate_in(self._shared, new_key_label)
        except (KeyStoreError, pkcs11.PKCS11Error):
            self._shared.release()
            raise

    @classmethod
    def _generate_in(cls, shared: _SharedSession, key_label: str) -> Pkcs11Signer:
        session = shared.session
        with shared.lock:
            if list(session.get_objects({Attribute.LABEL: key_label})):
                raise KeyStoreError(
                    f"the token already holds objects labelled {key_label!r}; "
                    f"a rotated key needs a new label"
                )
            parameters = session.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters(P256_OID)},
                local=True,
            )
            public, private = parameters.generate_keypair(
                store=True,
                label=key_label,
                private_template={Attribute.EXTRACTABLE: False, Attribute.SENSITIVE: True},
            )
        return cls(shared, private, _cryptography_public_key(public))

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public_key

    def sign_es256(self, data: bytes) -> bytes:
        digest = hashlib.sha256(data).digest()
        with self._shared.lock:
            try:
                signature: bytes = self._private_key.sign(digest, mechanism=Mechanism.ECDSA)
            except pkcs11.PKCS11Error as exc:
                raise TokenError(f"the token refused to sign: {exc!r}") from exc
        if len(signature) != ES256_SIGNATURE_SIZE:
            raise TokenError(f"the token returned a {len(signature)}-byte signature, not r||s")
        return signature

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._shared.release()


def _cryptography_public_key(public: Any) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(encode_ec_public_key(public))
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError("the token key is not an EC P-256 key")
    return key

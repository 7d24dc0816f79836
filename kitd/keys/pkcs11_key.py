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
    except pkcs11.PinIncorrect as exc:
        raise TokenError(f"the PIN for token {token_label!r} was refused") from exc
    except pkcs11.PKCS11Error as exc:
        raise TokenError(f"cannot open a session on token {token_label!r}: {exc!r}") from exc


class Pkcs11Signer(KitSigner):
    def __init__(
        self, session: Any, private_key: Any, public_key: ec.EllipticCurvePublicKey
    ) -> None:
        self._session = session
        self._private_key = private_key
        self._public_key = public_key
        # A PKCS#11 session handles one operation at a time; the uploader, the audit log and the
        # sealer may sign from different threads.
        self._lock = threading.Lock()

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
        return cls(session, private, _cryptography_public_key(public))

    @classmethod
    def generate(
        cls, module_path: Path, token_label: str, pin: str, key_label: str
    ) -> Pkcs11Signer:
        """Generate a non-extractable P-256 key pair on the token under a label not yet used."""
        session = open_token_session(module_path, token_label, pin)
        existing = list(session.get_objects({Attribute.LABEL: key_label}))
        if existing:
            session.close()
            raise KeyStoreError(
                f"token {token_label!r} already holds objects labelled {key_label!r}; "
                f"a rotated key needs a new label"
            )
        parameters = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(P256_OID)}, local=True
        )
        public, private = parameters.generate_keypair(
            store=True,
            label=key_label,
            private_template={Attribute.EXTRACTABLE: False, Attribute.SENSITIVE: True},
        )
        return cls(session, private, _cryptography_public_key(public))

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public_key

    def sign_es256(self, data: bytes) -> bytes:
        digest = hashlib.sha256(data).digest()
        with self._lock:
            try:
                signature: bytes = self._private_key.sign(digest, mechanism=Mechanism.ECDSA)
            except pkcs11.PKCS11Error as exc:
                raise TokenError(f"the token refused to sign: {exc!r}") from exc
        if len(signature) != ES256_SIGNATURE_SIZE:
            raise TokenError(f"the token returned a {len(signature)}-byte signature, not r||s")
        return signature

    def close(self) -> None:
        with self._lock:
            self._session.close()


def _cryptography_public_key(public: Any) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(encode_ec_public_key(public))
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError("the token key is not an EC P-256 key")
    return key

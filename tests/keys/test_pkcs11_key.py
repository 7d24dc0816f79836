"""The kit key on a PKCS#11 token (SoftHSM2 here, the TPM on the board)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from softhsm_token import Token

from kitd.keys.config import KeyBackend, KitKeyConfig, load_kit_key
from kitd.keys.errors import KeyConfigError, KeyStoreError, KitKeyNotFound, TokenError
from kitd.keys.pkcs11_key import Pkcs11Signer


def verify(public: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> None:
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    public.verify(der, data, ec.ECDSA(hashes.SHA256()))


def test_a_generated_token_key_loads_by_label_and_signs_es256(softhsm_token: Token) -> None:
    created = Pkcs11Signer.generate(
        softhsm_token.module, softhsm_token.label, softhsm_token.pin, "kit-a"
    )
    created.close()
    signer = load_kit_key(
        KitKeyConfig(
            KeyBackend.PKCS11,
            module_path=softhsm_token.module,
            token_label=softhsm_token.label,
            pin=softhsm_token.pin,
            key_label="kit-a",
        )
    )
    try:
        assert signer.key_id == created.key_id
        signature = signer.sign_es256(b"manifest bytes")
        assert len(signature) == 64
        verify(signer.public_key, signature, b"manifest bytes")
        with pytest.raises(InvalidSignature):
            verify(signer.public_key, signature, b"other bytes")
    finally:
        signer.close()


def test_the_pin_can_come_from_a_private_file(softhsm_token: Token, tmp_path: Path) -> None:
    Pkcs11Signer.generate(
        softhsm_token.module, softhsm_token.label, softhsm_token.pin, "kit-pinfile"
    ).close()
    pin_file = tmp_path / "pin"
    pin_file.write_text(softhsm_token.pin + "\n")
    pin_file.chmod(0o600)
    config = KitKeyConfig(
        KeyBackend.PKCS11,
        module_path=softhsm_token.module,
        token_label=softhsm_token.label,
        pin_file=pin_file,
        key_label="kit-pinfile",
    )
    load_kit_key(config).close()
    pin_file.chmod(0o644)
    with pytest.raises(KeyStoreError):
        load_kit_key(config)


def test_a_wrong_pin_is_a_token_error(softhsm_token: Token) -> None:
    with pytest.raises(TokenError, match="PIN"):
        Pkcs11Signer.load(softhsm_token.module, softhsm_token.label, "000000", "kit-a")


def test_an_unknown_token_is_a_token_error(softhsm_token: Token) -> None:
    with pytest.raises(TokenError, match="no token labelled"):
        Pkcs11Signer.load(softhsm_token.module, "no-such-token", softhsm_token.pin, "kit-a")


def test_a_missing_key_label_is_reported(softhsm_token: Token) -> None:
    with pytest.raises(KitKeyNotFound, match="never-created"):
        Pkcs11Signer.load(
            softhsm_token.module, softhsm_token.label, softhsm_token.pin, "never-created"
        )


def test_rotation_on_the_token_gives_a_new_id_and_keeps_signing(softhsm_token: Token) -> None:
    first = Pkcs11Signer.generate(
        softhsm_token.module, softhsm_token.label, softhsm_token.pin, "kit-r1"
    )
    with pytest.raises(KeyStoreError, match="new label"):
        first.rotate("kit-r1")
    second = first.rotate("kit-r2")
    assert first.key_id != second.key_id
    first.close()
    # Retiring the old key must not take the new key's token login with it.
    verify(second.public_key, second.sign_es256(b"after rotation"), b"after rotation")
    second.close()


def test_a_pkcs11_config_without_pin_is_refused(softhsm_token: Token) -> None:
    with pytest.raises(KeyConfigError):
        load_kit_key(
            KitKeyConfig(
                KeyBackend.PKCS11, module_path=softhsm_token.module, token_label=softhsm_token.label
            )
        )

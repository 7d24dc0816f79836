"""Each kind of damage to a package is caught, and each with its own typed error."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from backoffice.opener import decrypt_payload, open_package
from kitd.audit.errors import AuditTruncated
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_id import key_id_of
from kitd.package import deterministic_cbor, hpke
from kitd.package.contents import VisitContents
from kitd.package.cose import parse_sign1, sign1
from kitd.package.envelope import build_frame, parse_frame
from kitd.package.errors import (
    CiphertextCorrupted,
    FileDigestMismatch,
    HeaderMismatch,
    MalformedPackage,
    RecipientMismatch,
    SignatureInvalid,
    UnknownKitKey,
    WrongRecipientKey,
)
from kitd.package.files import AUDIT_NAME, TRANSACTION_NAME
from kitd.package.header import Header
from kitd.package.manifest import FileEntry, Manifest
from kitd.package.sealer import PackageSealer
from support.package_kit import Kit


def reseal(
    payload: dict[str, object], header: Header, recipient: ec.EllipticCurvePublicKey
) -> bytes:
    header_bytes = header.to_cbor()
    return build_frame(
        header_bytes, hpke.seal(deterministic_cbor.encode(payload), recipient, header_bytes)
    )


def test_intact_package_opens(kit: Kit, visit: VisitContents) -> None:
    opened = open_package(kit.sealer.seal(visit).data, kit.recipient_key, kit.keys)
    assert opened.manifest.kit_key_id == kit.signer.key_id


def test_flipped_ciphertext_bit_is_caught(kit: Kit, visit: VisitContents) -> None:
    data = bytearray(kit.sealer.seal(visit).data)
    data[len(data) // 2] ^= 0x04
    with pytest.raises(CiphertextCorrupted):
        open_package(bytes(data), kit.recipient_key, kit.keys)


def test_swapped_header_is_caught(kit: Kit, visit: VisitContents) -> None:
    first = parse_frame(kit.sealer.seal(visit).data)
    second = parse_frame(kit.sealer.seal(visit).data)
    swapped = build_frame(second.header_bytes, first.body)
    with pytest.raises(HeaderMismatch):
        open_package(swapped, kit.recipient_key, kit.keys)


def test_edited_manifest_is_caught(kit: Kit, visit: VisitContents) -> None:
    header, payload = decrypt_payload(kit.sealer.seal(visit).data, kit.recipient_key)
    item = cbor2.loads(payload["manifest"])
    protected, unprotected, signed_manifest, signature = item.value
    edited = replace(Manifest.from_cbor(signed_manifest), policy_version="2019.9").to_cbor()
    payload["manifest"] = cbor2.dumps(
        cbor2.CBORTag(item.tag, [protected, unprotected, edited, signature])
    )
    tampered = reseal(payload, header, kit.recipient_key.public_key())
    with pytest.raises(SignatureInvalid):
        open_package(tampered, kit.recipient_key, kit.keys)


def test_edited_file_is_caught(kit: Kit, visit: VisitContents) -> None:
    header, payload = decrypt_payload(kit.sealer.seal(visit).data, kit.recipient_key)
    files = dict(payload["files"])
    files[TRANSACTION_NAME] = files[TRANSACTION_NAME].replace(
        b"APP-2026-000123", b"APP-2026-999999"
    )
    payload["files"] = [[name, data] for name, data in files.items()]
    with pytest.raises(FileDigestMismatch) as caught:
        open_package(
            reseal(payload, header, kit.recipient_key.public_key()), kit.recipient_key, kit.keys
        )
    assert caught.value.name == TRANSACTION_NAME


def test_package_resealed_to_another_recipient_is_caught(kit: Kit, visit: VisitContents) -> None:
    header, payload = decrypt_payload(kit.sealer.seal(visit).data, kit.recipient_key)
    other = ec.generate_private_key(ec.SECP256R1())
    moved = replace(header, recipient_key_id=key_id_of(other.public_key()))
    with pytest.raises(RecipientMismatch):
        open_package(reseal(payload, moved, other.public_key()), other, kit.keys)


def test_package_signed_by_an_unpublished_kit_key_is_caught(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    rogue = FileKeySigner.generate(tmp_path / "rogue" / "kit.key.pem")
    sealed = PackageSealer(rogue, kit.recipient_key.public_key()).seal(visit)
    with pytest.raises(UnknownKitKey) as caught:
        open_package(sealed.data, kit.recipient_key, kit.keys)
    assert caught.value.key_id == rogue.key_id


def test_signature_by_another_key_under_a_published_key_id_is_caught(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    rogue = FileKeySigner.generate(tmp_path / "rogue" / "kit.key.pem")
    header, payload = decrypt_payload(kit.sealer.seal(visit).data, kit.recipient_key)
    signed = parse_sign1(payload["manifest"])

    class Impostor(FileKeySigner):
        @property
        def key_id(self) -> str:  # type: ignore[override]
            return kit.signer.key_id

    payload["manifest"] = sign1(signed.payload, Impostor(rogue._private_key))
    with pytest.raises(SignatureInvalid):
        open_package(
            reseal(payload, header, kit.recipient_key.public_key()), kit.recipient_key, kit.keys
        )


def test_opening_with_the_wrong_recipient_key_is_refused(kit: Kit, visit: VisitContents) -> None:
    with pytest.raises(WrongRecipientKey):
        open_package(kit.sealer.seal(visit).data, ec.generate_private_key(ec.SECP256R1()), kit.keys)


def test_truncated_audit_stretch_is_caught_even_when_re_signed(
    kit: Kit, visit: VisitContents
) -> None:
    # An insider holding the kit key re-signs a manifest whose audit file lost its last records; the
    # signed audit summary still names the original head, so the cut shows.
    header, payload = decrypt_payload(kit.sealer.seal(visit).data, kit.recipient_key)
    files = dict(payload["files"])
    records = visit.audit_records[:-2]
    files[AUDIT_NAME] = b"".join(r.encode() for r in records)
    manifest = Manifest.from_cbor(parse_sign1(payload["manifest"]).payload)
    entries = tuple(FileEntry.of(e.name, e.media_type, files[e.name]) for e in manifest.files)
    payload["manifest"] = sign1(replace(manifest, files=entries).to_cbor(), kit.signer)
    payload["files"] = [[name, data] for name, data in files.items()]
    with pytest.raises(AuditTruncated):
        open_package(
            reseal(payload, header, kit.recipient_key.public_key()), kit.recipient_key, kit.keys
        )


def test_bytes_that_are_not_a_package_are_malformed(kit: Kit) -> None:
    with pytest.raises(MalformedPackage):
        open_package(b"PK\x03\x04 a zip file", kit.recipient_key, kit.keys)
    with pytest.raises(MalformedPackage):
        open_package(b"KITPKG\x00\x01\x00\x00\x10\x00short", kit.recipient_key, kit.keys)

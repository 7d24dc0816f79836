"""The sealed reference download: the kit opens what the back office sealed to it (the enrolled fingers,
one per hand, and the enrollment photo), and refuses edited, forged, expired, not-yet-valid, oversized
and other kits' downloads, each with its own error; a forgery whose COSE structure has the wrong shape is
tampering, never a crash. The back office seals no validity beyond the policy's cap."""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from kitd.delivery.errors import (
    ReferenceExpired,
    ReferenceMalformed,
    ReferenceNotForThisKit,
    ReferenceTampered,
    ReferenceTooLarge,
)
from kitd.delivery.kit_key import load_or_create_delivery_key
from kitd.delivery.reference import (
    HEADER_FORMAT,
    MAGIC,
    MAX_PHOTO_BYTES,
    MAX_REFERENCE_BYTES,
    PAYLOAD_FORMAT,
    DeliveryReference,
    EnrolledFinger,
    new_reference_id,
    open_reference,
    seal_reference,
    validity_days,
)
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_id import key_id_of
from kitd.matching.extraction import extract_template
from kitd.matching.template import MinutiaKind, Template
from kitd.package import cose, deterministic_cbor, hpke
from kitd.package.header import SUITE_NAME
from kitd.records.iso19794_2 import MinutiaeView, encode_iso19794_2
from kitsim.prints.impression import Placement, render
from kitsim.prints.master import master_print

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
KIT = "kit-0042"


@pytest.fixture(scope="module")
def keys() -> tuple[ec.EllipticCurvePrivateKey, ec.EllipticCurvePrivateKey]:
    return ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())


PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8


def template(shift: int = 0) -> Template:
    # Angles on the record's 360/256 degree grid, so the template comes back exactly.
    angles = [3 * n * math.pi / 128 for n in range(12)]
    points = [
        (10.0 * n + 20 + shift, 15.0 * n + 30, angles[n], MinutiaKind(1 + n % 2), 60)
        for n in range(12)
    ]
    return Template.of(400, 500, 500, points, 64)


def reference(**changes: object) -> DeliveryReference:
    values: dict[str, object] = {
        "reference_id": new_reference_id(),
        "kit_id": KIT,
        "application_reference": "APP-2026-0042",
        "fingers": (EnrolledFinger(2, template()), EnrolledFinger(7, template(5))),
        "issued_at": NOW - timedelta(days=1),
        "expires_at": NOW + timedelta(days=13),
        "photo": PHOTO,
    }
    values.update(changes)
    return DeliveryReference(**values)  # type: ignore[arg-type]


def sealed_with(signed: bytes, kit_public: ec.EllipticCurvePublicKey, ref_id: str) -> bytes:
    """A download around any signed bytes, sealed to the kit as the back office would: what a forger
    who has the kit's public delivery key can make."""
    header = deterministic_cbor.encode(
        {
            "format": HEADER_FORMAT,
            "reference_id": ref_id,
            "kit_id": KIT,
            "recipient_key_id": key_id_of(kit_public),
            "sealed_at": "2026-12-03T09:00:00Z",
            "suite": SUITE_NAME,
        }
    )
    body = hpke.seal(signed, kit_public, info=header)
    return MAGIC + struct.pack(">I", len(header)) + header + body


def signed_payload(office_key: ec.EllipticCurvePrivateKey, **changes: object) -> tuple[bytes, str]:
    """A payload signed with the real office key, with `changes` to its fields."""
    ref_id = new_reference_id()
    doc: dict[str, object] = {
        "format": PAYLOAD_FORMAT,
        "reference_id": ref_id,
        "kit_id": KIT,
        "application_reference": "APP-1",
        "fingers": [2],
        "template": encode_iso19794_2([MinutiaeView(2, template())]),
        "photo": b"",
        "issued_at": "2026-12-02T10:00:00Z",
        "expires_at": "2026-12-10T10:00:00Z",
    }
    doc.update(changes)
    return cose.sign1(deterministic_cbor.encode(doc), FileKeySigner(office_key)), ref_id


def test_the_kit_opens_what_the_back_office_sealed_to_it(keys) -> None:
    kit_key, office_key = keys
    original = reference()
    sealed = seal_reference(original, office_key, kit_key.public_key())
    assert sealed.startswith(MAGIC)
    opened = open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW)
    assert opened == original
    assert opened.positions == (2, 7) and opened.photo == PHOTO


def test_the_enrolled_fingers_ridge_flow_comes_down_with_them(keys) -> None:
    kit_key, office_key = keys
    pixels = render(master_print("ref-anna", 2), Placement(quality=0.85, seed=1))
    extracted = extract_template(pixels)
    original = reference(fingers=(EnrolledFinger(2, extracted),))
    sealed = seal_reference(original, office_key, kit_key.public_key())
    opened = open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW)
    assert opened.fingers[0].template.flow == extracted.flow
    assert opened.ridge_flow
    assert opened.compared_template(opened.fingers[0]).flow is not None
    # Two such fingers and the largest photo stay well under the download's bound.
    assert 2 * len(sealed) + MAX_PHOTO_BYTES < MAX_REFERENCE_BYTES


def test_a_reference_without_the_flow_is_compared_on_minutiae_alone() -> None:
    # template() carries no flow (a record from an older back office): no finger is compared with one.
    mixed = reference()
    assert not mixed.ridge_flow
    assert all(mixed.compared_template(f).flow is None for f in mixed.fingers)


def test_a_reference_with_one_finger_and_no_photo_opens_too(keys) -> None:
    kit_key, office_key = keys
    original = reference(fingers=(EnrolledFinger(7, template()),), photo=b"")
    sealed = seal_reference(original, office_key, kit_key.public_key())
    assert open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW) == original


@pytest.mark.parametrize(
    "fingers",
    [(), (2, 2), (2, 7, 3), (11,)],
    ids=["none", "twice-the-same", "three", "not-a-position"],
)
def test_the_back_office_seals_one_or_two_distinct_fingers(keys, fingers) -> None:
    kit_key, office_key = keys
    bad = reference(fingers=tuple(EnrolledFinger(f, template()) for f in fingers))
    with pytest.raises(ValueError, match="finger"):
        seal_reference(bad, office_key, kit_key.public_key())


def test_the_back_office_seals_only_a_jpeg_photo(keys) -> None:
    kit_key, office_key = keys
    with pytest.raises(ValueError, match="not a JPEG"):
        seal_reference(reference(photo=b"\x89PNG..."), office_key, kit_key.public_key())


@pytest.mark.parametrize(
    "forged_cose",
    [
        # The probe's repro: an integer where the signature should be.
        lambda protected, payload: cbor2.CBORTag(18, [protected, {}, payload, 12345]),
        lambda protected, payload: cbor2.CBORTag(18, [protected, {}, 7, b"\x00" * 64]),
        lambda protected, payload: cbor2.CBORTag(18, [99, {}, payload, b"\x00" * 64]),
        lambda protected, payload: cbor2.CBORTag(18, [protected, {}, payload]),
        lambda protected, payload: cbor2.CBORTag(18, 5),
        lambda protected, payload: 42,
    ],
    ids=["int-signature", "int-payload", "int-protected", "three-items", "int-body", "int-cose"],
)
def test_a_forged_cose_structure_of_the_wrong_shape_is_tampering(keys, forged_cose) -> None:
    kit_key, office_key = keys
    genuine, ref_id = signed_payload(office_key)
    tag = cbor2.loads(genuine)
    protected, _unprotected, payload, _signature = tag.value
    forged = cbor2.dumps(forged_cose(protected, payload))
    sealed = sealed_with(forged, kit_key.public_key(), ref_id)
    with pytest.raises(ReferenceTampered, match="edited or forged"):
        open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW)


@pytest.mark.parametrize(
    "changes",
    [
        {"fingers": 2},
        {"fingers": [2, 7]},
        {"fingers": ["2"]},
        {"photo": "not bytes"},
        {"photo": b"GIF89a"},
        {"reference_id": 17},
        {"template": 3},
        {"issued_at": 1764000000},
        {"format": "kitd-reference/1"},
    ],
    ids=lambda changes: next(iter(changes)) + "=" + repr(next(iter(changes.values())))[:12],
)
def test_a_signed_reference_of_the_wrong_shape_is_malformed(keys, changes) -> None:
    kit_key, office_key = keys
    signed, ref_id = signed_payload(office_key, **changes)
    if changes.get("reference_id") == 17:
        ref_id = "17"
    sealed = sealed_with(signed, kit_key.public_key(), ref_id)
    with pytest.raises(ReferenceMalformed):
        open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW)


def test_a_download_larger_than_any_reference_is_refused_before_it_is_opened(keys) -> None:
    kit_key, office_key = keys
    sealed = seal_reference(reference(), office_key, kit_key.public_key())
    padded = sealed + bytes(MAX_REFERENCE_BYTES + 1 - len(sealed))
    with pytest.raises(ReferenceTooLarge) as refused:
        open_reference(padded, kit_key, office_key.public_key(), KIT, now=NOW)
    assert refused.value.reason == "REFERENCE_INVALID"
    assert str(MAX_REFERENCE_BYTES) in str(refused.value)


@pytest.mark.parametrize("days", [math.inf, math.nan, -1.0, 0.0, 30.5, 36500.0])
def test_a_validity_that_is_not_a_finite_number_of_days_within_the_cap_is_refused(
    days: float,
) -> None:
    with pytest.raises(ValueError, match="validity"):
        validity_days(days, 30)


def test_a_validity_within_the_cap_is_that_many_days() -> None:
    assert validity_days(14, 30) == timedelta(days=14)
    assert validity_days(30, 30) == timedelta(days=30)


def test_a_flipped_ciphertext_byte_is_tampering(keys) -> None:
    kit_key, office_key = keys
    sealed = bytearray(seal_reference(reference(), office_key, kit_key.public_key()))
    sealed[-20] ^= 0x01
    with pytest.raises(ReferenceTampered):
        open_reference(bytes(sealed), kit_key, office_key.public_key(), KIT, now=NOW)


def test_a_download_signed_by_another_key_is_tampering(keys) -> None:
    kit_key, office_key = keys
    forger = ec.generate_private_key(ec.SECP256R1())
    sealed = seal_reference(reference(), forger, kit_key.public_key())
    with pytest.raises(ReferenceTampered, match="edited or forged"):
        open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW)


def test_an_edited_header_is_tampering(keys) -> None:
    kit_key, office_key = keys
    sealed = seal_reference(reference(), office_key, kit_key.public_key())
    # The sealed time is part of the header the ciphertext is bound to.
    edited = sealed.replace(b"2026-", b"2025-", 1) if b"2026-" in sealed[:200] else sealed
    assert edited != sealed
    with pytest.raises(ReferenceTampered):
        open_reference(edited, kit_key, office_key.public_key(), KIT, now=NOW)


def test_an_expired_download_is_refused_as_expired(keys) -> None:
    kit_key, office_key = keys
    sealed = seal_reference(reference(), office_key, kit_key.public_key())
    with pytest.raises(ReferenceExpired, match="new download"):
        open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW + timedelta(days=14))
    with pytest.raises(ReferenceExpired):
        open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW - timedelta(days=2))


def test_a_download_for_another_kit_is_refused(keys) -> None:
    kit_key, office_key = keys
    other_kit = ec.generate_private_key(ec.SECP256R1())
    sealed = seal_reference(reference(), office_key, other_kit.public_key())
    with pytest.raises(ReferenceNotForThisKit):
        open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW)
    sealed = seal_reference(reference(kit_id="kit-0007"), office_key, kit_key.public_key())
    with pytest.raises(ReferenceNotForThisKit):
        open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW)


@pytest.mark.parametrize(
    "damage",
    [b"", b"KITPKG\x00\x01rest", MAGIC + b"\x00", MAGIC + struct.pack(">I", 99) + b"\xa0"],
)
def test_bytes_that_are_no_download_are_malformed(keys, damage: bytes) -> None:
    kit_key, office_key = keys
    with pytest.raises(ReferenceMalformed):
        open_reference(damage, kit_key, office_key.public_key(), KIT, now=NOW)


def test_the_delivery_key_is_created_private_and_its_public_key_published(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "kit-delivery-key.pem"
    public = tmp_path / "kit-delivery-key.pub.pem"
    key = load_or_create_delivery_key(path, public)
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    assert b"PUBLIC KEY" in public.read_bytes()
    again = load_or_create_delivery_key(path, public)
    assert again.private_numbers() == key.private_numbers()

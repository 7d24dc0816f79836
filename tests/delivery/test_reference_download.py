"""The sealed reference download: the kit opens what the back office sealed to it, and refuses edited,
forged, expired, not-yet-valid and other kits' downloads, each with its own error."""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from kitd.delivery.errors import (
    ReferenceExpired,
    ReferenceMalformed,
    ReferenceNotForThisKit,
    ReferenceTampered,
)
from kitd.delivery.kit_key import load_or_create_delivery_key
from kitd.delivery.reference import (
    MAGIC,
    DeliveryReference,
    new_reference_id,
    open_reference,
    seal_reference,
)
from kitd.matching.template import MinutiaKind, Template

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
KIT = "kit-0042"


@pytest.fixture(scope="module")
def keys() -> tuple[ec.EllipticCurvePrivateKey, ec.EllipticCurvePrivateKey]:
    return ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())


def reference(**changes: object) -> DeliveryReference:
    # Angles on the record's 360/256 degree grid, so the template comes back exactly.
    angles = [3 * n * math.pi / 128 for n in range(12)]
    points = [
        (10.0 * n + 20, 15.0 * n + 30, angles[n], MinutiaKind(1 + n % 2), 60) for n in range(12)
    ]
    values: dict[str, object] = {
        "reference_id": new_reference_id(),
        "kit_id": KIT,
        "application_reference": "APP-2026-0042",
        "finger": 2,
        "template": Template.of(400, 500, 500, points, 64),
        "issued_at": NOW - timedelta(days=1),
        "expires_at": NOW + timedelta(days=13),
    }
    values.update(changes)
    return DeliveryReference(**values)  # type: ignore[arg-type]


def test_the_kit_opens_what_the_back_office_sealed_to_it(keys) -> None:
    kit_key, office_key = keys
    original = reference()
    sealed = seal_reference(original, office_key, kit_key.public_key())
    assert sealed.startswith(MAGIC)
    opened = open_reference(sealed, kit_key, office_key.public_key(), KIT, now=NOW)
    assert opened == original


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

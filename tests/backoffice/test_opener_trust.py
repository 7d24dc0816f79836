"""What the opener trusts: a published kit key speaks for its own kit only and signs nothing after its
retirement; names from a package never become paths unchecked; a crafted COSE structure is a typed
error, never a TypeError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import cbor2
import pytest
from test_tampering import reseal

from backoffice.opener import decrypt_payload, open_package
from kitd.keys.errors import KeyStoreError
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList
from kitd.package.contents import VisitContents
from kitd.package.cose import parse_sign1, sign1
from kitd.package.errors import KitKeyNotForKit, MalformedPackage, RetiredKitKey, UnsafeName
from kitd.package.manifest import Manifest
from kitd.package.sealer import PackageSealer
from support.package_kit import Kit


def test_a_package_signed_by_kit_b_that_claims_to_be_kit_a_is_refused(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    # Kit B's key is published (for kit B); kit B seals a visit that says it comes from kit A.
    kit_b = FileKeySigner.generate(tmp_path / "kit-b" / "kit.key.pem")
    kit.keys.publish("kit-0099", kit_b.public_key)
    assert visit.kit_id == "kit-0042"
    sealed = PackageSealer(kit_b, kit.recipient_key.public_key()).seal(visit)
    with pytest.raises(KitKeyNotForKit) as caught:
        open_package(sealed.data, kit.recipient_key, kit.keys)
    assert caught.value.key_kit_id == "kit-0099"
    assert caught.value.claimed_kit_id == "kit-0042"


def sealed_at(moment: str) -> Callable[[], datetime]:
    """A sealer's clock that says `moment`."""
    return lambda: datetime.fromisoformat(moment)


def test_a_package_sealed_after_its_key_was_retired_is_refused(
    kit: Kit, visit: VisitContents
) -> None:
    kit.keys.retire(kit.signer.key_id, "2026-03-01T00:00:00Z")
    later = PackageSealer(
        kit.signer, kit.recipient_key.public_key(), clock=sealed_at("2026-03-02T09:00:00+00:00")
    )
    with pytest.raises(RetiredKitKey) as caught:
        open_package(later.seal(visit).data, kit.recipient_key, kit.keys)
    assert caught.value.retired_at == "2026-03-01T00:00:00Z"


def test_a_package_sealed_before_its_key_was_retired_still_opens(
    kit: Kit, visit: VisitContents
) -> None:
    kit.keys.retire(kit.signer.key_id, "2026-03-01T00:00:00Z")
    earlier = PackageSealer(
        kit.signer, kit.recipient_key.public_key(), clock=sealed_at("2026-02-27T09:00:00+00:00")
    )
    opened = open_package(earlier.seal(visit).data, kit.recipient_key, kit.keys)
    assert opened.manifest.kit_id == "kit-0042"


def test_the_retirement_survives_the_published_list(kit: Kit, visit: VisitContents) -> None:
    kit.keys.retire(kit.signer.key_id, "2026-03-01T00:00:00Z")
    reloaded = KitKeyList.from_json(kit.keys.to_json())
    later = PackageSealer(
        kit.signer, kit.recipient_key.public_key(), clock=sealed_at("2026-04-01T00:00:00+00:00")
    )
    with pytest.raises(RetiredKitKey):
        open_package(later.seal(visit).data, kit.recipient_key, reloaded)


@pytest.mark.parametrize(
    "package_id", ["../../../../tmp/ESCAPED", "/etc/ESCAPED", "..", "not-a-uuid"]
)
def test_a_signed_package_id_that_is_not_a_uuidv7_is_refused(
    kit: Kit, visit: VisitContents, package_id: str
) -> None:
    sealed = kit.sealer.seal(visit, package_id=package_id)
    with pytest.raises(UnsafeName) as caught:
        open_package(sealed.data, kit.recipient_key, kit.keys)
    assert caught.value.name == package_id


@pytest.mark.parametrize("name", ["../escaped.bin", "a/b", ".hidden", "", "x" * 80])
def test_a_signed_file_name_that_could_escape_is_refused(
    kit: Kit, visit: VisitContents, name: str
) -> None:
    header, payload = decrypt_payload(kit.sealer.seal(visit).data, kit.recipient_key)
    manifest = Manifest.from_cbor(parse_sign1(payload["manifest"]).payload)
    renamed = replace(manifest.files[-1], name=name)
    edited = replace(manifest, files=(*manifest.files[:-1], renamed))
    old_name = manifest.files[-1].name
    payload["manifest"] = sign1(edited.to_cbor(), kit.signer)
    payload["files"] = [[name if n == old_name else n, d] for n, d in payload["files"]]
    with pytest.raises(UnsafeName):
        open_package(
            reseal(payload, header, kit.recipient_key.public_key()), kit.recipient_key, kit.keys
        )


@pytest.mark.parametrize(
    "parts",
    [
        "signature-is-an-integer",
        "payload-is-text",
        "protected-is-a-list",
        "kid-is-an-integer",
        "three-items",
    ],
)
def test_a_cose_sign1_with_parts_of_the_wrong_type_is_malformed(
    kit: Kit, visit: VisitContents, parts: str
) -> None:
    header, payload = decrypt_payload(kit.sealer.seal(visit).data, kit.recipient_key)
    protected, unprotected, signed, signature = cbor2.loads(payload["manifest"]).value
    items: list[object] = [protected, unprotected, signed, signature]
    if parts == "signature-is-an-integer":
        items[3] = 12345
    elif parts == "payload-is-text":
        items[2] = "manifest"
    elif parts == "protected-is-a-list":
        items[0] = cbor2.dumps([1, 2])
    elif parts == "kid-is-an-integer":
        items[0] = cbor2.dumps({1: -7, 4: 42})
    else:
        items = items[:3]
    payload["manifest"] = cbor2.dumps(cbor2.CBORTag(18, items))
    with pytest.raises(MalformedPackage, match="COSE"):
        open_package(
            reseal(payload, header, kit.recipient_key.public_key()), kit.recipient_key, kit.keys
        )


def test_a_file_whose_bytes_are_an_integer_is_malformed_not_a_huge_allocation(
    kit: Kit, visit: VisitContents
) -> None:
    header, payload = decrypt_payload(kit.sealer.seal(visit).data, kit.recipient_key)
    payload["files"] = [[name, 10**12] for name, _ in payload["files"]]
    with pytest.raises(MalformedPackage, match="name, bytes"):
        open_package(
            reseal(payload, header, kit.recipient_key.public_key()), kit.recipient_key, kit.keys
        )


def test_a_manifest_field_of_the_wrong_type_is_malformed(kit: Kit, visit: VisitContents) -> None:
    header, payload = decrypt_payload(kit.sealer.seal(visit).data, kit.recipient_key)
    doc = cbor2.loads(parse_sign1(payload["manifest"]).payload)
    doc["files"][0]["size"] = "many"
    payload["manifest"] = sign1(cbor2.dumps(doc, canonical=True), kit.signer)
    with pytest.raises(MalformedPackage, match="'size' is str, not an integer"):
        open_package(
            reseal(payload, header, kit.recipient_key.public_key()), kit.recipient_key, kit.keys
        )


@pytest.mark.parametrize("retired_at", ["soon", "2026-03-01T00:00:00", "2026-13-01T00:00:00Z"])
def test_a_key_list_with_a_retirement_that_is_not_a_zoned_time_is_refused_when_loaded(
    kit: Kit, retired_at: str
) -> None:
    # Compared with every package's seal time, it is checked once, where the list is read.
    kit.keys.retire(kit.signer.key_id, retired_at)
    with pytest.raises(KeyStoreError, match="retired_at"):
        KitKeyList.from_json(kit.keys.to_json())

"""A visit goes in, `kitpkg open` gives the same images and records back, in standard formats."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import nistitl
import numpy as np
import pytest
from PIL import Image

from backoffice import cli as kitpkg
from backoffice.opener import open_package
from kitd.package.contents import VisitContents
from kitd.package.errors import WrongRecipientKey
from kitd.package.files import encode_images
from kitd.package.header import read_header
from kitd.records.wsq import decode_wsq, encode_wsq
from support.package_kit import Kit
from support.visit_factory import make_waived_visit


def open_with_kitpkg(
    kit: Kit, sealed: bytes, tmp_path: Path
) -> tuple[int, dict[str, object], Path]:
    package = tmp_path / "in.kitpkg"
    package.write_bytes(sealed)
    kit.keys.save(tmp_path / "kit-keys.json")
    out = tmp_path / "opened"
    argv = [
        "open", str(package), "--key", str(kit.recipient.private_path),
        "--kit-keys", str(tmp_path / "kit-keys.json"), "--out", str(out), "--json",
    ]  # fmt: skip
    capture = io.StringIO()
    with contextlib.redirect_stdout(capture):
        status = kitpkg.main(argv)
    return status, json.loads(capture.getvalue()), out


def test_kitpkg_open_gives_back_the_same_images_and_records(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    sealed = kit.sealer.seal(visit)
    status, report, out = open_with_kitpkg(kit, sealed.data, tmp_path)
    assert status == 0
    assert report["package_id"] == sealed.package_id

    assert visit.face is not None and visit.signature is not None
    assert (out / "face.jpg").read_bytes() == visit.face.jpeg
    for finger in visit.fingers:
        wsq = (out / f"finger-{finger.position:02d}.wsq").read_bytes()
        assert wsq == encode_wsq(finger.pixels)
        decoded = decode_wsq(wsq)
        assert decoded.shape == finger.pixels.shape
        assert np.abs(decoded.astype(int) - finger.pixels.astype(int)).mean() < 8
    original = np.asarray(Image.open(io.BytesIO(visit.signature.png)).convert("L"))
    opened = np.asarray(Image.open(out / "signature.png"))
    assert np.array_equal(original, opened)
    assert (out / "signature.iso19794-7").read_bytes() == visit.signature.iso_19794_7

    records = json.loads((out / "audit.json").read_text())
    assert [r["hash"] for r in records] == [r.hash.hex() for r in visit.audit_records]
    assert [r["kind"] for r in records][:2] == ["visit_started", "attempt"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["policy_version"] == "2026.1"
    assert manifest["recipient_key_id"] == kit.recipient.key_id


def test_the_transaction_parses_with_nistitl(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    sealed = kit.sealer.seal(visit)
    _, _, out = open_with_kitpkg(kit, sealed.data, tmp_path)
    message = nistitl.Message()
    message.parse((out / f"{sealed.package_id}.an2").read_bytes())
    assert [record.type for record in message] == [1, 2, 10, 14, 14, 8]
    assert sealed.package_id == message[0].TCN
    assert message[0].VER == "0500"
    type2 = next(message.iter(2))
    assert type2[10].value == "APP-2026-000123"
    assert type2[13].value == "2026.1"
    assert type2[20][0].values == ["7", "injured", "bandaged index", "op-17"]
    assert type2[23][0].values == ["stroke_count", "1", "4", "2", "80"]
    type10 = next(message.iter(10))
    assert type10[11].value == "JPEGB"
    assert ["background_uniformity", "0", "0.31", "0.25", "40"] in type10[200].value
    fingers = list(message.iter(14))
    assert [f[13].value for f in fingers] == ["2", "8"]
    assert [f[24][0].values for f in fingers] == [
        ["2", "63", "FFFF", "1"],
        ["8", "35", "FFFF", "1"],
    ]
    assert fingers[1][201].value == "dry skin"


def test_a_waiver_travels_in_type_2_and_no_type_8_is_written(kit: Kit, tmp_path: Path) -> None:
    sealed = kit.sealer.seal(make_waived_visit())
    _, _, out = open_with_kitpkg(kit, sealed.data, tmp_path)
    message = nistitl.Message()
    message.parse((out / f"{sealed.package_id}.an2").read_bytes())
    assert 8 not in [record.type for record in message]
    assert next(message.iter(2))[21][0].values == ["illness", "tremor", "op-17"]
    assert not (out / "signature.png").exists()


def test_images_encoded_beforehand_give_the_same_transaction(
    kit: Kit, visit: VisitContents
) -> None:
    images = encode_images(visit)
    first = open_package(
        kit.sealer.seal(visit, images, package_id="018f0000-0000-7000-8000-000000000001").data,
        kit.recipient_key,
        kit.keys,
    )
    second = open_package(
        kit.sealer.seal(visit, package_id="018f0000-0000-7000-8000-000000000001").data,
        kit.recipient_key,
        kit.keys,
    )
    assert first.files["transaction.an2"] == second.files["transaction.an2"]


def test_the_header_names_the_package_and_recipient_in_clear(
    kit: Kit, visit: VisitContents
) -> None:
    sealed = kit.sealer.seal(visit)
    header = read_header(sealed.data)
    assert (header.package_id, header.recipient_key_id) == (sealed.package_id, kit.recipient.key_id)
    assert b"APP-2026-000123" not in sealed.data


def test_the_kit_cannot_open_what_it_sealed(kit: Kit, visit: VisitContents) -> None:
    # The kit holds its own signing key and the recipient's public key; neither opens the package.
    sealed = kit.sealer.seal(visit)
    with pytest.raises(WrongRecipientKey):
        open_package(sealed.data, kit.signer._private_key, kit.keys)

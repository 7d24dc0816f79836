"""`kitpkg reference-keygen` and `kitpkg reference`: the back office makes a sealed reference download
from an enrolled print that the kit's delivery key opens, with the template of that print; a bad finger
position is a usage error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kitd.cli.kitpkg import main
from kitd.delivery.back_office import SIGNER_PRIVATE_NAME, SIGNER_PUBLIC_NAME
from kitd.delivery.kit_key import load_or_create_delivery_key, load_public_key
from kitd.delivery.reference import open_reference
from kitd.matching.comparison import similarity
from kitd.matching.extraction import extract_template
from kitd.matching.thresholds import threshold_for
from kitd.records.wsq import encode_wsq
from kitsim.prints.impression import Placement, render
from kitsim.prints.master import master_print


def reference_argv(tmp_path: Path, print_path: Path, finger: int, *extra: str) -> list[str]:
    """`kitpkg reference` for kit KIT-9 with the keys the tests make under tmp_path."""
    return [
        "reference",
        str(print_path),
        "--finger",
        str(finger),
        "--kit-id",
        "KIT-9",
        "--kit-key",
        str(tmp_path / "d.pub.pem"),
        "--signer",
        str(tmp_path / "office" / SIGNER_PRIVATE_NAME),
        "--out",
        str(tmp_path / "ref.kitref"),
        *extra,
    ]


@pytest.fixture
def enrolled(tmp_path: Path) -> Path:
    pixels = render(master_print("kitpkg-anna", 2), Placement(quality=0.85, seed=1))
    path = tmp_path / "finger-02.wsq"
    path.write_bytes(encode_wsq(pixels))
    return path


def test_a_reference_made_from_a_wsq_print_opens_on_the_kit(
    tmp_path: Path, enrolled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit_key = load_or_create_delivery_key(tmp_path / "kit" / "d.pem", tmp_path / "d.pub.pem")
    assert main(["reference-keygen", "--out", str(tmp_path / "office")]) == 0
    out = tmp_path / "ref.kitref"
    argv = reference_argv(tmp_path, enrolled, 2, "--application-reference", "APP-9", "--json")
    capsys.readouterr()
    assert main(argv) == 0
    made = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    signer = load_public_key(tmp_path / "office" / SIGNER_PUBLIC_NAME)
    reference = open_reference(out.read_bytes(), kit_key, signer, "KIT-9")
    assert (reference.reference_id, reference.finger) == (made["reference_id"], 2)
    assert reference.template.count == made["minutiae"] >= 20
    again = render(master_print("kitpkg-anna", 2), Placement(quality=0.8, seed=2))
    assert similarity(extract_template(again), reference.template) >= threshold_for(0.001)


def test_a_finger_outside_1_to_10_is_a_usage_error(tmp_path: Path, enrolled: Path) -> None:
    assert main(["reference-keygen", "--out", str(tmp_path / "office")]) == 0
    load_or_create_delivery_key(tmp_path / "kit" / "d.pem", tmp_path / "d.pub.pem")
    assert main(reference_argv(tmp_path, enrolled, 11)) == 2
    assert not (tmp_path / "ref.kitref").exists()


def test_an_unreadable_print_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["reference-keygen", "--out", str(tmp_path / "office")]) == 0
    load_or_create_delivery_key(tmp_path / "kit" / "d.pem", tmp_path / "d.pub.pem")
    bad = tmp_path / "print.png"
    bad.write_bytes(b"not an image")
    assert main(reference_argv(tmp_path, bad, 2)) == 2

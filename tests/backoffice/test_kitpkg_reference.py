"""`kitpkg reference-keygen` and `kitpkg reference`: the back office makes a sealed reference download
from the enrolled prints (one per hand) and the enrollment photo that the kit's delivery key opens, with
the templates of those prints; a bad finger position, a print without its finger, and a validity that is
not a finite number of days within the delivery policy's cap are usage errors that write nothing."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from backoffice.cli import main
from backoffice.references import SIGNER_PRIVATE_NAME, SIGNER_PUBLIC_NAME
from kitd.delivery.kit_key import load_or_create_delivery_key, load_public_key
from kitd.delivery.reference import MAX_PHOTO_BYTES, open_reference
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
        *extra_prints(extra),
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
        *[arg for arg in extra if not arg.startswith("print:")],
    ]


def extra_prints(extra: tuple[str, ...]) -> list[str]:
    return [arg.removeprefix("print:") for arg in extra if arg.startswith("print:")]


@pytest.fixture
def enrolled(tmp_path: Path) -> Path:
    pixels = render(master_print("kitpkg-anna", 2), Placement(quality=0.85, seed=1))
    path = tmp_path / "finger-02.wsq"
    path.write_bytes(encode_wsq(pixels))
    return path


@pytest.fixture
def enrolled_left(tmp_path: Path) -> Path:
    pixels = render(master_print("kitpkg-anna", 7), Placement(quality=0.85, seed=1))
    path = tmp_path / "finger-07.wsq"
    path.write_bytes(encode_wsq(pixels))
    return path


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """An enrollment photo as `kitpkg open` writes it: a 827 x 1063 JPEG."""
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 255, (1063, 827, 3), dtype=np.uint8)
    path = tmp_path / "face.jpg"
    path.write_bytes(cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes())
    return path


@pytest.fixture
def keys(tmp_path: Path) -> ec.EllipticCurvePrivateKey:
    """The office's signer and the kit's delivery key under tmp_path; the kit's key is returned."""
    assert main(["reference-keygen", "--out", str(tmp_path / "office")]) == 0
    return load_or_create_delivery_key(tmp_path / "kit" / "d.pem", tmp_path / "d.pub.pem")


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
    assert (reference.reference_id, reference.positions) == (made["reference_id"], (2,))
    assert [reference.fingers[0].template.count] == made["minutiae"]
    assert made["minutiae"][0] >= 20
    again = render(master_print("kitpkg-anna", 2), Placement(quality=0.8, seed=2))
    assert similarity(extract_template(again), reference.fingers[0].template) >= threshold_for(
        0.001
    )


def test_a_reference_carries_both_enrolled_fingers_and_the_photo(
    tmp_path: Path,
    enrolled: Path,
    enrolled_left: Path,
    photo: Path,
    keys: ec.EllipticCurvePrivateKey,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = reference_argv(
        tmp_path, enrolled, 2, f"print:{enrolled_left}", "--finger", "7", "--photo", str(photo)
    )
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    made = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    signer = load_public_key(tmp_path / "office" / SIGNER_PUBLIC_NAME)
    reference = open_reference((tmp_path / "ref.kitref").read_bytes(), keys, signer, "KIT-9")
    assert reference.positions == (2, 7) == tuple(made["fingers"])
    assert made["policy_id"] == "be-eid-delivery"
    # Scaled to fit 480 x 640 and small enough for the download, still a JPEG.
    shown = cv2.imdecode(np.frombuffer(reference.photo, np.uint8), cv2.IMREAD_COLOR)
    assert shown is not None and shown.shape[:2] == (617, 480)
    assert len(reference.photo) == made["photo_bytes"] <= MAX_PHOTO_BYTES
    again = render(master_print("kitpkg-anna", 7), Placement(quality=0.8, seed=2))
    assert similarity(extract_template(again), reference.fingers[1].template) >= threshold_for(
        0.001
    )


@pytest.mark.parametrize("days", ["inf", "nan", "-1", "0", "31", "36500"])
def test_a_validity_beyond_the_policy_cap_or_not_a_number_of_days_is_a_usage_error(
    tmp_path: Path,
    enrolled: Path,
    keys: ec.EllipticCurvePrivateKey,
    capsys: pytest.CaptureFixture[str],
    days: str,
) -> None:
    capsys.readouterr()
    assert main(reference_argv(tmp_path, enrolled, 2, "--valid-days", days)) == 2
    error = capsys.readouterr().err
    assert "validity" in error and "Traceback" not in error
    assert not (tmp_path / "ref.kitref").exists()


def test_the_cap_is_the_named_delivery_policy(
    tmp_path: Path, enrolled: Path, keys: ec.EllipticCurvePrivateKey
) -> None:
    table = (resources.files("kitd.policy") / "profiles" / "be-eid-delivery.toml").read_text()
    policy = tmp_path / "long-delivery.toml"
    policy.write_text(
        table.replace('id = "be-eid-delivery"', 'id = "long-delivery"').replace(
            "max_reference_validity_days = 30", "max_reference_validity_days = 60"
        )
    )
    assert main(reference_argv(tmp_path, enrolled, 2, "--valid-days", "45")) == 2
    argv = reference_argv(tmp_path, enrolled, 2, "--valid-days", "45", "--policy", str(policy))
    assert main(argv) == 0
    assert main(reference_argv(tmp_path, enrolled, 2, "--policy", "be-eid")) == 2


def test_each_print_needs_its_finger(
    tmp_path: Path, enrolled: Path, enrolled_left: Path, keys: ec.EllipticCurvePrivateKey
) -> None:
    assert main(reference_argv(tmp_path, enrolled, 2, f"print:{enrolled_left}")) == 2
    assert not (tmp_path / "ref.kitref").exists()


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

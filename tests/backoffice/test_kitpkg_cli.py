"""kitpkg's key set-up and verify subcommands, as a back-office person would use them."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from backoffice import cli as kitpkg
from kitd.keys.key_list import KitKeyList
from kitd.package.contents import VisitContents
from support.package_kit import Kit


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = kitpkg.main(list(argv))
    return status, out.getvalue()


def test_keygen_and_kit_key_create_private_files_and_a_key_list(tmp_path: Path) -> None:
    status, text = run("keygen", "--out", str(tmp_path / "bo"))
    assert status == 0 and "recipient key" in text
    assert (tmp_path / "bo" / "recipient.key.pem").stat().st_mode & 0o077 == 0
    status, _ = run(
        "kit-key", "--out", str(tmp_path / "kit" / "k.pem"), "--kit-id", "kit-9",
        "--key-list", str(tmp_path / "keys.json"),
    )  # fmt: skip
    assert status == 0
    assert [k.kit_id for k in KitKeyList.load(tmp_path / "keys.json")] == ["kit-9"]


def test_verify_reports_a_good_package_and_names_the_error_of_a_bad_one(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    kit.keys.save(tmp_path / "keys.json")
    sealed = kit.sealer.seal(visit).data
    package = tmp_path / "p.kitpkg"
    package.write_bytes(sealed)
    common = (
        "--key",
        str(kit.recipient.private_path),
        "--kit-keys",
        str(tmp_path / "keys.json"),
        "--json",
    )
    status, text = run("verify", str(package), *common)
    assert status == 0 and json.loads(text)["ok"] is True
    assert not (tmp_path / "opened").exists()

    damaged = bytearray(sealed)
    damaged[len(damaged) // 2] ^= 0x01
    package.write_bytes(bytes(damaged))
    status, text = run("verify", str(package), *common)
    assert status == 1
    assert json.loads(text)["error"] == "CiphertextCorrupted"


def test_a_missing_recipient_key_is_a_usage_error(tmp_path: Path) -> None:
    status, text = run(
        "verify", str(tmp_path / "p"), "--key", str(tmp_path / "none.pem"),
        "--kit-keys", str(tmp_path / "k.json"),
    )  # fmt: skip
    assert status == 2 and "does not exist" in text

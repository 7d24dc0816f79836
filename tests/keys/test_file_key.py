"""The file-key fallback and key rotation with the published kit key list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backoffice.opener import open_package
from kitd.keys.config import KeyBackend, KitKeyConfig, load_kit_key
from kitd.keys.errors import InsecureKeyPermissions, KeyStoreError, KitKeyNotFound
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList
from kitd.keys.recipient import RecipientKeyPair, load_recipient_private_key
from kitd.package.contents import VisitContents
from kitd.package.sealer import PackageSealer


def test_a_generated_file_key_loads_with_the_same_id(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "kit.key.pem"
    created = FileKeySigner.generate(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    loaded = load_kit_key(KitKeyConfig(KeyBackend.FILE, key_file=path))
    assert loaded.key_id == created.key_id


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "kit.key.pem"
    FileKeySigner.generate(path)
    path.chmod(0o640)
    with pytest.raises(InsecureKeyPermissions) as caught:
        FileKeySigner.load(path)
    assert "chmod 0600" in str(caught.value)


def test_a_key_directory_open_to_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "kit.key.pem"
    FileKeySigner.generate(path)
    path.parent.chmod(0o755)
    with pytest.raises(InsecureKeyPermissions, match="0755"):
        FileKeySigner.load(path)


def test_a_missing_key_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(KitKeyNotFound):
        FileKeySigner.load(tmp_path / "none.pem")


def test_generating_over_an_existing_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "kit.key.pem"
    FileKeySigner.generate(path)
    with pytest.raises(FileExistsError):
        FileKeySigner.generate(path)


def test_after_rotation_old_packages_still_verify_against_the_key_list(tmp_path: Path) -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    contents = VisitContents(
        kit_id="kit-7", document_profile="be-eid", policy_id="p", policy_version="1",
        application_reference="A-1", operator_id="op", applicant_age=40,
        started_at=now, finished_at=now, card_validity_months=120,
    )  # fmt: skip
    recipient = RecipientKeyPair.generate(tmp_path / "bo")
    private = load_recipient_private_key(recipient.private_path)
    keys = KitKeyList()

    old = FileKeySigner.generate(tmp_path / "keys" / "kit-2026-01.pem")
    keys.publish("kit-7", old.public_key)
    # Sealed before the rotation: a retired key still vouches for what it signed while current.
    sealed = now - timedelta(days=1)
    old_package = PackageSealer(old, private.public_key(), clock=lambda: sealed).seal(contents)

    new = FileKeySigner.generate(tmp_path / "keys" / "kit-2026-05.pem")
    keys.publish("kit-7", new.public_key)
    keys.retire(old.key_id, "2026-05-01T00:00:00Z")
    new_package = PackageSealer(new, private.public_key()).seal(contents)
    assert new.key_id != old.key_id

    published = KitKeyList.load(_saved(keys, tmp_path / "kit-keys.json"))
    assert open_package(old_package.data, private, published).manifest.kit_key_id == old.key_id
    assert open_package(new_package.data, private, published).manifest.kit_key_id == new.key_id
    assert published.get(old.key_id) is not None
    assert published.get(old.key_id).retired_at == "2026-05-01T00:00:00Z"  # type: ignore[union-attr]


def test_a_key_list_entry_whose_id_does_not_match_its_key_is_refused(tmp_path: Path) -> None:
    signer = FileKeySigner.generate(tmp_path / "keys" / "k.pem")
    keys = KitKeyList()
    keys.publish("kit-1", signer.public_key)
    forged = keys.to_json().replace(signer.key_id, "0" * 32)
    with pytest.raises(KeyStoreError, match="does not match"):
        KitKeyList.from_json(forged)


def _saved(keys: KitKeyList, path: Path) -> Path:
    keys.save(path)
    return path

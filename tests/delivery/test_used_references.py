"""The kit's record of the references it completed a delivery with: a recorded id is refused from then
on, across restarts; the file is private; rows older than any validity a policy may allow are pruned."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitd.delivery.errors import ReferenceAlreadyUsed
from kitd.delivery.used_references import KEEP_S, UsedReferences


def test_a_recorded_reference_is_refused_with_its_id(tmp_path: Path) -> None:
    used = UsedReferences(tmp_path / "used.sqlite")
    used.check_unused("ref-1")
    used.record("ref-1", "pkg-1")
    with pytest.raises(ReferenceAlreadyUsed) as refused:
        used.check_unused("ref-1")
    assert refused.value.reason == "REFERENCE_ALREADY_USED"
    assert refused.value.metadata == {"reference_id": "ref-1"}
    assert "ref-1" in str(refused.value) and "already used" in str(refused.value)
    used.check_unused("ref-2")


def test_the_record_outlives_a_restart_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "used.sqlite"
    UsedReferences(path).record("ref-1", "pkg-1")
    with pytest.raises(ReferenceAlreadyUsed):
        UsedReferences(path).check_unused("ref-1")
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_second_record_of_one_reference_is_refused(tmp_path: Path) -> None:
    used = UsedReferences(tmp_path / "used.sqlite")
    used.record("ref-1", "pkg-1")
    with pytest.raises(ReferenceAlreadyUsed):
        used.record("ref-1", "pkg-2")


def test_the_same_delivery_recorded_again_is_no_second_use(tmp_path: Path) -> None:
    # A finalize retried after a failure that followed the record: the same package, one delivery.
    used = UsedReferences(tmp_path / "used.sqlite")
    used.record("ref-1", "pkg-1")
    used.record("ref-1", "pkg-1")
    with pytest.raises(ReferenceAlreadyUsed):
        used.record("ref-1", "pkg-2")


def test_records_older_than_any_validity_are_pruned(tmp_path: Path) -> None:
    now = [1_000_000_000.0]
    used = UsedReferences(tmp_path / "used.sqlite", clock=lambda: now[0])
    used.record("ref-old", "pkg-1")
    now[0] += KEEP_S + 1
    used.record("ref-new", "pkg-2")
    used.check_unused("ref-old")
    with pytest.raises(ReferenceAlreadyUsed):
        used.check_unused("ref-new")

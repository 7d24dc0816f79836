"""The audit log's tail: records cut off the end are detected through the signed head beside the log."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from backoffice import cli as kitpkg
from kitd.audit.errors import AuditChainBroken, AuditCheckpointInvalid, AuditTruncated
from kitd.audit.head import SignedHead, head_path, read_head, write_head
from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind, encode_records
from kitd.audit.verify import decode_records, verify_log_bytes
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList


@pytest.fixture
def signer(tmp_path: Path) -> FileKeySigner:
    return FileKeySigner.generate(tmp_path / "keys" / "kit.key.pem")


@pytest.fixture
def keys(signer: FileKeySigner, tmp_path: Path) -> KitKeyList:
    published = KitKeyList()
    published.publish("kit-1", signer.public_key)
    published.save(tmp_path / "kit-keys.json")
    return published


def ten_records(tmp_path: Path, signer: FileKeySigner) -> Path:
    """Ten records and the checkpoint signed at close (the every-64 checkpoint never comes)."""
    log = AuditLog(tmp_path / "audit.log", signer)
    for index in range(10):
        log.append(AuditKind.ATTEMPT, "op-9", target="finger:2", attempt=index)
    log.close()
    return tmp_path / "audit.log"


def keep_first(path: Path, count: int) -> None:
    records, _ = decode_records(path.read_bytes())
    path.write_bytes(encode_records(tuple(records[:count])))


def audit_verify(tmp_path: Path, *extra: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "audit-verify",
        str(tmp_path / "audit.log"),
        "--kit-keys",
        str(tmp_path / "kit-keys.json"),
    ]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = kitpkg.main([*argv, *extra])
    return status, out.getvalue() + err.getvalue()


def test_every_checkpoint_replaces_the_signed_head_with_itself(
    tmp_path: Path, signer: FileKeySigner
) -> None:
    log = AuditLog(tmp_path / "audit.log", signer, checkpoint_every=3)
    for index in range(7):
        log.append(AuditKind.ATTEMPT, "op-9", attempt=index)
        head = read_head(head_path(log.path))
        if log.head is not None and log.head.kind is AuditKind.CHECKPOINT:
            assert head is not None and (head.seq, head.hash) == (log.head.seq, log.head.hash)
    checkpoint = log.checkpoint()
    assert checkpoint is not None
    head = read_head(tmp_path / "audit.head")
    assert head is not None and (head.seq, head.hash) == (checkpoint.seq, checkpoint.hash)
    assert not (tmp_path / "audit.head.tmp").exists()
    log.close()


def test_an_intact_log_verifies_up_to_its_signed_head(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    ten_records(tmp_path, signer)
    status, text = audit_verify(tmp_path)
    assert status == 0, text
    assert "reaches its signed head (record 10)" in text


@pytest.mark.parametrize(
    "kept", [10, 3, 0], ids=["last-record-removed", "first-3-of-10-kept", "emptied"]
)
def test_records_cut_off_the_end_are_audit_truncated(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList, kept: int
) -> None:
    path = ten_records(tmp_path, signer)
    keep_first(path, kept)
    # The cut chain is still a valid chain on its own: only the head shows what is missing.
    if kept:
        verify_log_bytes(path.read_bytes(), keys)
    status, text = audit_verify(tmp_path)
    assert status == 1
    assert "AuditTruncated" in text


def test_a_head_naming_another_record_at_its_position_is_a_broken_chain(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    path = ten_records(tmp_path, signer)
    records, _ = decode_records(path.read_bytes())
    forged = SignedHead.sign(signer, records[5])
    write_head(tmp_path / "audit.head", SignedHead(10, forged.hash, forged.key_id, forged.sig))
    with pytest.raises(AuditCheckpointInvalid):  # the signature covers seq and hash together
        verify_log_bytes(path.read_bytes(), keys, head=read_head(tmp_path / "audit.head"))
    with pytest.raises(AuditChainBroken):
        SignedHead.sign(signer, records[5]).check(records[:5] + records[6:7], keys)


def test_a_head_signed_by_an_unpublished_key_is_invalid(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    path = ten_records(tmp_path, signer)
    other = FileKeySigner.generate(tmp_path / "other" / "key.pem")
    records, _ = decode_records(path.read_bytes())
    write_head(tmp_path / "audit.head", SignedHead.sign(other, records[-1]))
    status, text = audit_verify(tmp_path)
    assert status == 1
    assert "AuditCheckpointInvalid" in text


def test_a_named_head_file_that_is_missing_is_not_verified(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    ten_records(tmp_path, signer)
    status, text = audit_verify(tmp_path, "--head", str(tmp_path / "elsewhere.head"))
    assert status == 1
    assert "does not exist" in text


def test_an_unreadable_head_is_reported_not_crashed_on(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    ten_records(tmp_path, signer)
    (tmp_path / "audit.head").write_bytes(b"\x00garbage")
    with pytest.raises(AuditCheckpointInvalid, match="not readable"):
        read_head(tmp_path / "audit.head")
    status, text = audit_verify(tmp_path)
    assert status == 1 and "AuditCheckpointInvalid" in text


def test_without_a_head_file_the_verdict_says_its_length_is_not_vouched_for(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    ten_records(tmp_path, signer)
    (tmp_path / "audit.head").unlink()
    status, text = audit_verify(tmp_path)
    assert status == 0
    assert "its length is not vouched for" in text
    with pytest.raises(AuditTruncated):
        verify_log_bytes(b"", keys, head=SignedHead(0, b"\x00" * 32, "k", b"\x00" * 64))


def test_a_log_cut_while_the_kit_was_off_keeps_the_evidence_in_the_chain(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    path = ten_records(tmp_path, signer)
    keep_first(path, 3)
    # The kit starts again on the cut log: its next checkpoint replaces the head ...
    log = AuditLog(path, signer)
    assert log.head is not None and log.head.kind is AuditKind.LOG_TRUNCATED
    assert log.head.fields["signed_head_seq"] == 10
    assert log.head.fields["log_last_seq"] == 2
    log.append(AuditKind.VISIT_STARTED, "op-9", profile="be-eid")
    log.close()
    head = read_head(tmp_path / "audit.head")
    assert head is not None and head.seq == log.head.seq
    # ... but the chain itself still says what was cut.
    status, text = audit_verify(tmp_path)
    assert status == 1
    assert "AuditTruncated" in text and "cut short" in text


def test_reopening_an_intact_log_records_nothing(tmp_path: Path, signer: FileKeySigner) -> None:
    path = ten_records(tmp_path, signer)
    before = path.read_bytes()
    AuditLog(path, signer).close()  # nothing new: close signs no checkpoint
    assert path.read_bytes() == before

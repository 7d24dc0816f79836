"""The audit log: append-only, hash-chained, checkpointed by the kit key, and every edit or cut shows."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backoffice import cli as kitpkg
from kitd.audit.errors import AuditChainBroken, AuditCheckpointInvalid, AuditTruncated
from kitd.audit.log import AuditLog
from kitd.audit.record import GENESIS_HASH, AuditKind, AuditRecord
from kitd.audit.verify import ChainAnchor, decode_records, verify_chain, verify_log_bytes
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList


@pytest.fixture
def signer(tmp_path: Path) -> FileKeySigner:
    return FileKeySigner.generate(tmp_path / "keys" / "kit.key.pem")


@pytest.fixture
def keys(signer: FileKeySigner) -> KitKeyList:
    published = KitKeyList()
    published.publish("kit-1", signer.public_key)
    return published


def fill(log: AuditLog, count: int) -> None:
    for index in range(count):
        log.append(AuditKind.ATTEMPT, "op-9", target="finger:2", attempt=index, quality=40 + index)


def test_records_chain_from_the_genesis_hash(tmp_path: Path, signer: FileKeySigner) -> None:
    log = AuditLog(tmp_path / "audit.log", signer, checkpoint_every=100)
    first = log.append(AuditKind.VISIT_STARTED, "op-9", profile="be-eid")
    second = log.append(AuditKind.OVERRIDE, "op-9", target="face", reason="bedridden")
    assert (first.seq, first.prev_hash) == (0, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (1, first.hash)
    assert second.fields == {"target": "face", "reason": "bedridden"}


def test_a_written_log_verifies_with_signed_checkpoints(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    log = AuditLog(tmp_path / "audit.log", signer, checkpoint_every=4)
    fill(log, 10)
    log.close()
    report = verify_log_bytes((tmp_path / "audit.log").read_bytes(), keys)
    assert report.count == 13  # 10 records, a checkpoint after every 4, one more at close
    assert report.checkpoints == 3


def test_a_reopened_log_continues_the_chain(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    fill(AuditLog(tmp_path / "audit.log", signer), 3)
    again = AuditLog(tmp_path / "audit.log", signer)
    assert (
        again.append(AuditKind.DEVICE_FAULT, "", device="fingerprint", error="DeviceTimeout").seq
        == 3
    )
    again.close()
    assert verify_log_bytes((tmp_path / "audit.log").read_bytes(), keys).last_seq == 4


def test_an_edited_record_is_caught(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    log = AuditLog(tmp_path / "audit.log", signer)
    fill(log, 5)
    log.close()
    data = (tmp_path / "audit.log").read_bytes()
    edited = data.replace(b"op-9", b"op-6", 1)
    with pytest.raises(AuditChainBroken) as caught:
        verify_log_bytes(edited, keys)
    assert caught.value.seq == 0


def test_a_removed_record_is_caught(tmp_path: Path, signer: FileKeySigner) -> None:
    log = AuditLog(tmp_path / "audit.log", signer)
    fill(log, 5)
    records = list(log.records_since(-1))
    del records[2]
    with pytest.raises(AuditChainBroken, match="missing"):
        verify_chain(records)


def test_a_record_re_hashed_after_editing_breaks_the_link(
    tmp_path: Path, signer: FileKeySigner
) -> None:
    log = AuditLog(tmp_path / "audit.log", signer)
    fill(log, 4)
    records = list(log.records_since(-1))
    victim = records[1]
    records[1] = AuditRecord.create(
        seq=victim.seq, time=victim.time, kind=victim.kind, operator_id="someone-else",
        fields=victim.fields, prev_hash=victim.prev_hash,
    )  # fmt: skip
    with pytest.raises(AuditChainBroken) as caught:
        verify_chain(records)
    assert caught.value.seq == 2


def test_a_log_cut_mid_record_is_truncated(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    log = AuditLog(tmp_path / "audit.log", signer)
    fill(log, 5)
    log.close()
    data = (tmp_path / "audit.log").read_bytes()
    with pytest.raises(AuditTruncated, match="partial record"):
        verify_log_bytes(data[:-7], keys)


def test_a_log_missing_its_tail_is_truncated_against_an_anchor(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    log = AuditLog(tmp_path / "audit.log", signer, checkpoint_every=100)
    fill(log, 6)
    head = log.head
    assert head is not None
    records = list(log.records_since(-1))
    with pytest.raises(AuditTruncated, match="should reach record 5"):
        verify_chain(records[:4], keys, anchor=ChainAnchor(head.seq, head.hash))


def test_a_log_missing_its_start_is_truncated(tmp_path: Path, signer: FileKeySigner) -> None:
    log = AuditLog(tmp_path / "audit.log", signer)
    fill(log, 5)
    with pytest.raises(AuditTruncated, match="starts at record 2"):
        verify_chain(list(log.records_since(1)))


def test_a_checkpoint_by_an_unpublished_key_is_invalid(
    tmp_path: Path, signer: FileKeySigner
) -> None:
    log = AuditLog(tmp_path / "audit.log", signer, checkpoint_every=2)
    fill(log, 2)
    with pytest.raises(AuditCheckpointInvalid, match="not in the published"):
        verify_chain(list(log.records_since(-1)), KitKeyList())


def test_a_torn_write_is_cut_off_and_recorded_when_reopened(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    path = tmp_path / "audit.log"
    log = AuditLog(path, signer, checkpoint_every=100)
    fill(log, 3)
    log.close()
    with path.open("ab") as out:
        out.write(b"\xa7\x63seq\x03")  # the start of a record that never finished
    reopened = AuditLog(path, signer)
    head = reopened.head
    assert head is not None and head.kind is AuditKind.LOG_REPAIRED
    assert head.fields["dropped_bytes"] == 6
    reopened.close()
    verify_log_bytes(path.read_bytes(), keys)


def test_records_carry_the_time_of_the_injected_clock(
    tmp_path: Path, signer: FileKeySigner
) -> None:
    log = AuditLog(
        tmp_path / "audit.log", signer, clock=lambda: datetime(2026, 1, 2, 3, 4, 5, 600000, UTC)
    )
    assert log.append(AuditKind.WAIVER, "op-1", reason="illness").time == "2026-01-02T03:04:05.600Z"


def test_decode_records_reads_back_what_was_written(tmp_path: Path, signer: FileKeySigner) -> None:
    log = AuditLog(tmp_path / "audit.log", signer)
    fill(log, 3)
    records, torn = decode_records((tmp_path / "audit.log").read_bytes())
    assert not torn
    assert records == list(log.records_since(-1))


def run_kitpkg(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = kitpkg.main(list(argv))
    return status, out.getvalue() + err.getvalue()


def test_kitpkg_audit_verify_accepts_a_good_log_and_names_the_break(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList
) -> None:
    log = AuditLog(tmp_path / "audit.log", signer, checkpoint_every=3)
    fill(log, 5)
    log.close()
    keys.save(tmp_path / "keys.json")
    status, text = run_kitpkg(
        "audit-verify", str(tmp_path / "audit.log"), "--kit-keys", str(tmp_path / "keys.json")
    )
    assert status == 0 and "VERIFIED" in text
    data = (tmp_path / "audit.log").read_bytes()
    (tmp_path / "audit.log").write_bytes(data.replace(b"finger:2", b"finger:7", 1))
    status, text = run_kitpkg(
        "audit-verify", str(tmp_path / "audit.log"), "--kit-keys", str(tmp_path / "keys.json")
    )
    assert status == 1 and "AuditChainBroken" in text


@pytest.mark.parametrize(
    "tail", [bytes(4096), b"\xff\xfe garbage \x00" * 7], ids=["zero-filled", "garbage"]
)
def test_a_tail_that_is_no_record_is_cut_kept_aside_and_recorded(
    tmp_path: Path, signer: FileKeySigner, keys: KitKeyList, tail: bytes
) -> None:
    # What a power cut can leave after an append: the file grew, its last blocks never got written.
    path = tmp_path / "audit.log"
    log = AuditLog(path, signer, checkpoint_every=100)
    fill(log, 3)
    log.close()
    intact = path.read_bytes()
    path.write_bytes(intact + tail)
    reopened = AuditLog(path, signer)
    head = reopened.head
    assert head is not None and head.kind is AuditKind.LOG_TRUNCATED
    assert head.fields["dropped_bytes"] == len(tail)
    kept = tmp_path / str(head.fields["kept_in"])
    assert kept.read_bytes() == tail
    reopened.close()
    assert path.read_bytes().startswith(intact)
    records, torn = decode_records(path.read_bytes())
    assert not torn
    verify_chain(records, keys)
    # The chain holds, and the verdict keeps saying that something was cut at its end.
    with pytest.raises(AuditTruncated, match="no record"):
        verify_log_bytes(path.read_bytes(), keys)


def test_a_record_spoiled_in_the_middle_is_not_cut_away(
    tmp_path: Path, signer: FileKeySigner
) -> None:
    # Later records after the bad bytes: that is a broken chain for a person to look at, not a tail.
    path = tmp_path / "audit.log"
    log = AuditLog(path, signer, checkpoint_every=100)
    fill(log, 6)
    log.close()
    data = bytearray(path.read_bytes())
    data[40:60] = bytes(20)
    path.write_bytes(bytes(data))
    with pytest.raises(AuditChainBroken):
        AuditLog(path, signer)
    assert path.read_bytes() == bytes(data)

"""A state directory that fills up (a small tmpfs): enqueue, the audit log and upload on a full disk.

What must hold: a write that does not fit is a typed error (InsufficientSpace, AuditLogError), nothing
half-written stays behind (no .part file, no torn audit record in front of later ones), and once space
returns the same calls succeed without a restart or a technician.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backoffice.receiver import PackageReceiver
from kitd.audit.errors import AuditLogError
from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind
from kitd.audit.verify import decode_records, verify_log_bytes
from kitd.outbox.errors import InsufficientSpace
from kitd.outbox.outbox import Outbox
from kitd.outbox.uploader import Uploader
from support.back_office import BackOffice
from support.small_disk import SmallDisk, small_disk


@pytest.fixture
def disk(back_office: BackOffice) -> Iterator[SmallDisk]:
    with small_disk(back_office.root / "state", size_mb=4) as mounted:
        yield mounted


def test_enqueue_that_does_not_fit_is_insufficient_space_and_leaves_nothing(
    back_office: BackOffice, disk: SmallDisk
) -> None:
    outbox = Outbox(back_office.outbox_config(""))
    sealed = back_office.small_package()
    disk.fill(leave=len(sealed) // 4)
    with pytest.raises(InsufficientSpace, match="free space"):
        outbox.enqueue(sealed)
    assert list(outbox.tmp_dir.iterdir()) == []
    assert list(outbox.packages_dir.iterdir()) == []
    assert outbox.packages() == []

    disk.free()
    entry = outbox.enqueue(sealed)
    assert [p.package_id for p in outbox.packages()] == [entry.package_id]
    outbox.close()


def test_audit_append_that_does_not_fit_leaves_no_torn_record_before_later_ones(
    back_office: BackOffice, disk: SmallDisk
) -> None:
    log_path = disk.path / "audit.log"
    audit = AuditLog(log_path, back_office.signer, checkpoint_every=1000)
    audit.append(AuditKind.VISIT_STARTED, "op-1", profile="be-eid")
    disk.fill()
    # Longer than the slack of the log's last page: part of it is written, then ENOSPC.
    with pytest.raises(AuditLogError):
        audit.append(AuditKind.ATTEMPT, "op-1", target="face", note="x" * 6000)

    disk.free()
    audit.append(AuditKind.VISIT_FINISHED, "op-1")
    report = verify_log_bytes(log_path.read_bytes(), back_office.keys)
    assert (report.count, report.torn_tail) == (2, False)
    audit.close()


def test_upload_with_a_full_disk_loses_nothing_and_delivers_once_space_returns(
    back_office: BackOffice, receiver: PackageReceiver, disk: SmallDisk
) -> None:
    audit = AuditLog(disk.path / "audit.log", back_office.signer)
    outbox = Outbox(back_office.outbox_config(receiver.url), audit)
    entry = outbox.enqueue(back_office.small_package())
    uploader = Uploader(outbox, idle_wait_s=0.05)
    disk.fill()
    uploader.start()
    try:
        uploader.wait_for_pass(0, 10)
        # The pass may fail at any write (state row, receipt, audit record): the package is still
        # either in the outbox or stored by the receiver, and the uploader thread keeps running.
        in_outbox = {p.package_id for p in outbox.packages()}
        assert entry.package_id in in_outbox or entry.package_id in receiver.stored
        assert uploader.is_running

        disk.free()
        uploader.poke()
        assert uploader.wait_until_delivered(entry.package_id, 20)
        assert entry.package_id in receiver.stored
        assert list(outbox.packages_dir.iterdir()) == []
    finally:
        uploader.stop()
        outbox.close()
        audit.close()


def test_upload_whose_audit_record_does_not_fit_keeps_the_uploader_running(
    back_office: BackOffice, receiver: PackageReceiver, tmp_path: Path
) -> None:
    # The outbox on a roomy disk, the audit log on a full one: the upload itself succeeds and the
    # audit append after the receipt fails.
    with small_disk(tmp_path / "audit", size_mb=1) as disk:
        audit = AuditLog(disk.path / "audit.log", back_office.signer, checkpoint_every=1000)
        outbox = Outbox(back_office.outbox_config(receiver.url), audit)
        entry = outbox.enqueue(back_office.small_package())
        disk.fill()
        with pytest.raises(AuditLogError):
            for _ in range(100):  # fill the slack of the log's last page
                audit.append(AuditKind.ATTEMPT, "op-1", note="y" * 300)
        uploader = Uploader(outbox, idle_wait_s=0.05)
        uploader.start()
        try:
            assert receiver.wait_for(lambda: entry.package_id in receiver.stored, 20)
            uploader.wait_for_pass(uploader.wait_for_pass(0, 10), 10)
            assert uploader.is_running

            disk.free()
            uploader.poke()
            uploader.wait_for_pass(uploader.wait_for_pass(0, 10), 10)
            assert list(outbox.packages_dir.iterdir()) == []
            assert outbox.packages() == []
        finally:
            uploader.stop()
            outbox.close()
            audit.close()


def test_upload_on_a_disk_with_no_byte_free_delivers_and_deletes_before_space_returns(
    back_office: BackOffice, receiver: PackageReceiver, disk: SmallDisk
) -> None:
    audit = AuditLog(disk.path / "audit.log", back_office.signer)
    outbox = Outbox(back_office.outbox_config(receiver.url), audit)
    entry = outbox.enqueue(back_office.small_package())
    disk.fill()
    assert disk.free_bytes == 0
    # The space reserve is released for the pass: uploading and deleting are what free the disk.
    assert outbox.flush().uploaded == 1
    assert entry.package_id in receiver.stored
    assert list(outbox.packages_dir.iterdir()) == []
    assert outbox.packages() == []
    with pytest.raises(InsufficientSpace):
        outbox.check_space()  # no new visit until the reserve is back
    disk.free()
    outbox.check_space()
    outbox.close()
    audit.close()
    data = (disk.path / "audit.log").read_bytes()
    assert verify_log_bytes(data, back_office.keys).torn_tail is False
    records, _ = decode_records(data)
    assert AuditKind.PACKAGE_DELETED in [r.kind for r in records]


def test_an_outbox_reopened_on_a_full_disk_opens_on_its_reserve(
    back_office: BackOffice, disk: SmallDisk
) -> None:
    outbox = Outbox(back_office.outbox_config(""))
    entry = outbox.enqueue(back_office.small_package())
    outbox.close()
    disk.fill()
    reopened = Outbox(back_office.outbox_config(""))
    assert [p.package_id for p in reopened.packages()] == [entry.package_id]
    reopened.close()


def test_an_outbox_first_opened_on_a_full_disk_is_insufficient_space_not_a_sqlite_error(
    back_office: BackOffice, disk: SmallDisk
) -> None:
    disk.fill()
    with pytest.raises(InsufficientSpace, match="disk is full"):
        Outbox(back_office.outbox_config(""))


def test_an_outbox_reopened_on_a_full_disk_without_its_reserve_still_lists_its_packages(
    back_office: BackOffice, receiver: PackageReceiver, disk: SmallDisk
) -> None:
    outbox = Outbox(back_office.outbox_config(receiver.url))
    entry = outbox.enqueue(back_office.small_package())
    outbox.close()
    (disk.path / "reserve.bin").unlink()  # taken by something else while the kit was off
    disk.fill()
    reopened = Outbox(back_office.outbox_config(receiver.url))
    assert [p.package_id for p in reopened.packages()] == [entry.package_id]
    disk.free()
    assert reopened.flush().uploaded == 1  # writes again once space returns, no restart
    assert entry.package_id in receiver.stored
    reopened.close()


def test_finalize_retried_on_a_full_disk_does_not_grow_the_database(
    back_office: BackOffice, disk: SmallDisk
) -> None:
    outbox = Outbox(back_office.outbox_config(""))
    # The outbox files a package by its header: a long body makes it the size of a visit with images,
    # larger than the room left, while the database still has room for its own writes.
    sealed = back_office.small_package() + bytes(256 << 10)
    wal = disk.path / "outbox.sqlite3-wal"
    disk.fill(leave=64 << 10)
    sizes = []
    for _ in range(20):
        with pytest.raises(InsufficientSpace):
            outbox.enqueue(sealed)
        sizes.append(wal.stat().st_size if wal.exists() else 0)
    # Was: about 16 KiB more write-ahead log for every failed attempt.
    assert sizes[-1] <= sizes[0], sizes
    outbox.close()

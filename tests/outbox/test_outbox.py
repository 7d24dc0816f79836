"""The outbox's promises: durable, idempotent, delivered only against a correct receipt, bounded in time
and in disk use."""

from __future__ import annotations

import hashlib
import sqlite3
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from backoffice.receiver import PackageReceiver
from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind
from kitd.outbox.contract import Receipt
from kitd.outbox.errors import DuplicatePackage, InsufficientSpace, NotAPackage
from kitd.outbox.outbox import Outbox
from kitd.outbox.state import PackageState
from kitd.outbox.uploader import Uploader
from kitd.package.header import read_header
from kitharness.ports import free_port
from support.back_office import BackOffice


def test_enqueue_stores_sealed_bytes_and_reports_them(back_office: BackOffice) -> None:
    outbox = Outbox(back_office.outbox_config("https://127.0.0.1:9"))
    sealed = back_office.small_package()
    entry = outbox.enqueue(sealed)
    assert entry.package_id == read_header(sealed).package_id
    assert entry.sha256 == hashlib.sha256(sealed).hexdigest()
    assert Path(entry.path).read_bytes() == sealed
    assert [p.package_id for p in outbox.packages()] == [entry.package_id]
    assert outbox.status().pending == 1
    assert outbox.status().pending_bytes == len(sealed)


def test_enqueue_twice_is_idempotent(back_office: BackOffice) -> None:
    outbox = Outbox(back_office.outbox_config("https://127.0.0.1:9"))
    sealed = back_office.small_package()
    assert outbox.enqueue(sealed) == outbox.enqueue(sealed)
    assert len(outbox.packages()) == 1


def test_other_bytes_under_a_known_id_are_refused(back_office: BackOffice) -> None:
    outbox = Outbox(back_office.outbox_config("https://127.0.0.1:9"))
    sealed = back_office.small_package()
    outbox.enqueue(sealed)
    forged = sealed[:-40] + bytes(40)
    with pytest.raises(DuplicatePackage):
        outbox.enqueue(forged)


def test_bytes_that_are_not_a_package_are_refused(back_office: BackOffice) -> None:
    outbox = Outbox(back_office.outbox_config("https://127.0.0.1:9"))
    with pytest.raises(NotAPackage):
        outbox.enqueue(b"plain text is never stored")


def test_flush_delivers_and_deletes_after_the_receipt(
    back_office: BackOffice, receiver: PackageReceiver
) -> None:
    outbox = Outbox(back_office.outbox_config(receiver.url))
    entry = outbox.enqueue(back_office.small_package())
    result = outbox.flush()
    assert (result.uploaded, result.failed) == (1, 0)
    assert outbox.get(entry.package_id).state is PackageState.DELETED
    assert not Path(entry.path).exists()
    receipt = Receipt.from_json(outbox.receipt(entry.package_id).encode())
    assert (receipt.package_id, receipt.sha256) == (entry.package_id, entry.sha256)
    stored = back_office.root / "received" / entry.package_id / "package.kitpkg"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == entry.sha256


def test_receiver_down_means_retries_then_delivery(back_office: BackOffice) -> None:
    port = free_port()
    outbox = Outbox(back_office.outbox_config(f"https://127.0.0.1:{port}"))
    entry = outbox.enqueue(back_office.small_package())
    uploader = Uploader(outbox, idle_wait_s=0.05)
    uploader.start()
    try:
        uploader.wait_for_pass(after=2, timeout=30)
        failing = outbox.get(entry.package_id)
        assert failing.state in (PackageState.SEALED, PackageState.UPLOADING)
        assert failing.upload_attempts >= 2
        assert "cannot reach the receiver" in failing.last_error
        receiver = back_office.receiver(port=port)
        receiver.start()
        try:
            uploader.poke()
            assert uploader.wait_until_delivered(entry.package_id, timeout=30)
        finally:
            receiver.stop()
    finally:
        uploader.stop()
    assert outbox.get(entry.package_id).state is PackageState.DELETED


class LyingReceiver(PackageReceiver):
    def make_receipt(self, package_id: str, sha256: str, size: int) -> Receipt:
        return super().make_receipt(package_id, "0" * 64, size)


def test_a_wrong_receipt_keeps_the_package(back_office: BackOffice) -> None:
    receiver = back_office.receiver(cls=LyingReceiver)
    receiver.start()
    try:
        outbox = Outbox(back_office.outbox_config(receiver.url))
        entry = outbox.enqueue(back_office.small_package())
        result = outbox.flush()
    finally:
        receiver.stop()
    assert (result.uploaded, result.failed) == (0, 1)
    kept = outbox.get(entry.package_id)
    assert kept.state is PackageState.SEALED
    assert "SHA-256" in kept.last_error
    assert Path(entry.path).read_bytes() == outbox.read(entry.package_id)


# What a hostile or broken receiver answered, and what the uploader now says about it. Before, the
# first two ended the upload with OverflowError and RecursionError (out of the uploader's thread) and
# the third was read whole, however large.
HOSTILE_ANSWERS = {
    "size-is-infinity": (b'{"package_id": "x", "sha256": "y", "size": Infinity}', "size is float,"),
    "nested-30000-deep": (b"[" * 30_000 + b"]" * 30_000, "nests too deep"),
    "one-megabyte": (b'{"package_id": "' + b"x" * (1 << 20) + b'"}', "has 1048594 bytes"),
    "an-array": (b"[1, 2]", "a JSON object, not list"),
}


@pytest.mark.parametrize("answer", list(HOSTILE_ANSWERS))
def test_an_answer_that_is_not_a_receipt_keeps_the_package(
    back_office: BackOffice, answer: str
) -> None:
    body, reason = HOSTILE_ANSWERS[answer]

    class HostileReceiver(PackageReceiver):
        def _put(self, request: BaseHTTPRequestHandler) -> tuple[int, bytes]:
            request.rfile.read(int(request.headers["Content-Length"]))
            return 200, body

    receiver = back_office.receiver(cls=HostileReceiver)
    receiver.start()
    try:
        outbox = Outbox(back_office.outbox_config(receiver.url))
        entry = outbox.enqueue(back_office.small_package())
        result = outbox.flush()
    finally:
        receiver.stop()
    assert (result.uploaded, result.failed) == (0, 1)
    kept = outbox.get(entry.package_id)
    assert kept.state is PackageState.SEALED
    assert reason in kept.last_error


def test_a_package_the_receiver_rejects_is_kept(
    back_office: BackOffice, receiver: PackageReceiver
) -> None:
    outbox = Outbox(back_office.outbox_config(receiver.url))
    sealed = bytearray(back_office.small_package())
    sealed[-40] ^= 0x01  # inside the sealed body: the receiver cannot open it
    entry = outbox.enqueue(bytes(sealed))
    result = outbox.flush()
    assert result.failed == 1
    assert outbox.get(entry.package_id).state is PackageState.SEALED
    assert "422" in outbox.get(entry.package_id).last_error


def test_an_interrupted_upload_resumes_under_the_same_id(
    back_office: BackOffice, receiver: PackageReceiver
) -> None:
    config = back_office.outbox_config(receiver.url)
    first = Outbox(config)
    entry = first.enqueue(back_office.small_package())
    # As if the daemon died mid-upload: the row says uploading.
    first._index.set_state(entry.package_id, PackageState.UPLOADING)
    first.close()
    again = Outbox(config)
    assert again.get(entry.package_id).state is PackageState.SEALED
    assert again.flush().uploaded == 1
    assert receiver.stored == [entry.package_id]


def test_retention_deletes_old_packages_with_an_audit_record(back_office: BackOffice) -> None:
    now = [1_900_000_000.0]
    audit = AuditLog(back_office.root / "audit.log", back_office.signer)
    config = back_office.outbox_config("https://127.0.0.1:9", retention_days=90)
    outbox = Outbox(config, audit, clock=lambda: now[0])
    entry = outbox.enqueue(back_office.small_package())
    stored_at = now[0]  # retention counts the time on the kit, from the enqueue
    now[0] = stored_at + 89 * 86400
    assert outbox.sweep_retention() == []
    now[0] = stored_at + 90 * 86400 + 1
    assert outbox.sweep_retention() == [entry.package_id]
    assert outbox.get(entry.package_id).state is PackageState.DELETED
    assert not Path(entry.path).exists()
    expired = [r for r in audit.records_since(-1) if r.kind is AuditKind.PACKAGE_EXPIRED]
    assert [r.fields["package_id"] for r in expired] == [entry.package_id]


def test_retention_is_enforced_at_start(back_office: BackOffice) -> None:
    config = back_office.outbox_config("https://127.0.0.1:9", retention_days=1)
    entry = Outbox(config).enqueue(back_office.small_package())
    later = Outbox(config, clock=lambda: 4_000_000_000.0)
    assert later.get(entry.package_id).state is PackageState.DELETED


def test_disk_guard_refuses_a_new_visit_below_the_floor(back_office: BackOffice) -> None:
    config = back_office.outbox_config("https://127.0.0.1:9", min_free_bytes=1 << 62)
    outbox = Outbox(config)
    with pytest.raises(InsufficientSpace) as caught:
        outbox.check_space()
    assert caught.value.min_free_bytes == 1 << 62
    assert "MiB free" in str(caught.value)
    with pytest.raises(InsufficientSpace):
        outbox.enqueue(back_office.small_package())
    assert outbox.packages() == []


def test_disk_guard_passes_above_the_floor(back_office: BackOffice) -> None:
    outbox = Outbox(back_office.outbox_config("https://127.0.0.1:9", min_free_bytes=1))
    assert outbox.check_space() > 1


def test_a_renamed_but_uncommitted_package_is_adopted(back_office: BackOffice) -> None:
    config = back_office.outbox_config("https://127.0.0.1:9")
    Outbox(config).close()
    sealed = back_office.small_package()
    package_id = read_header(sealed).package_id
    (config.state_dir / "packages" / f"{package_id}.kitpkg").write_bytes(sealed)
    (config.state_dir / "tmp" / f"{package_id}.1.0.part").write_bytes(sealed[:100])
    outbox = Outbox(config)
    assert outbox.get(package_id).sha256 == hashlib.sha256(sealed).hexdigest()
    assert list((config.state_dir / "tmp").iterdir()) == []


def test_a_broken_tls_configuration_keeps_the_package_and_says_why(
    back_office: BackOffice, receiver: PackageReceiver
) -> None:
    config = back_office.outbox_config(receiver.url, client_key=back_office.root / "missing.key")
    outbox = Outbox(config)
    entry = outbox.enqueue(back_office.small_package())
    assert outbox.flush().failed == 1
    kept = outbox.get(entry.package_id)
    assert kept.state is PackageState.SEALED
    assert "TLS files" in kept.last_error
    assert outbox.status().last_error == kept.last_error


def test_the_package_of_a_visit_is_found_by_its_session_after_reopening(
    back_office: BackOffice,
) -> None:
    config = back_office.outbox_config("")
    entry = Outbox(config).enqueue(back_office.small_package(), "session-7")
    reopened = Outbox(config)
    assert reopened.package_of_session("session-7") == entry.package_id
    assert reopened.package_of_session("session-8") is None
    assert reopened.package_of_session("") is None


def test_an_outbox_database_without_session_ids_is_migrated(back_office: BackOffice) -> None:
    config = back_office.outbox_config("")
    entry = Outbox(config).enqueue(back_office.small_package())
    db = sqlite3.connect(config.state_dir / "outbox.sqlite3")
    db.execute("DROP INDEX packages_one_per_session")
    db.execute("ALTER TABLE packages DROP COLUMN session_id")
    db.commit()
    db.close()
    reopened = Outbox(config)
    assert [p.package_id for p in reopened.packages()] == [entry.package_id]
    assert reopened.enqueue(back_office.small_package("APP-2"), "session-9").package_id
    assert reopened.package_of_session("session-9") is not None


def test_a_renamed_but_uncommitted_package_is_adopted_under_the_visit_its_intent_names(
    back_office: BackOffice,
) -> None:
    # The daemon died between the rename and the commit: the visit must still be found finalized.
    config = back_office.outbox_config("")
    Outbox(config).close()
    sealed = back_office.small_package()
    package_id = read_header(sealed).package_id
    db = sqlite3.connect(config.state_dir / "outbox.sqlite3")
    db.execute(
        "INSERT INTO intents (package_id, session_id) VALUES (?, ?)", (package_id, "visit-3")
    )
    db.commit()
    db.close()
    (config.state_dir / "packages" / f"{package_id}.kitpkg").write_bytes(sealed)
    outbox = Outbox(config)
    assert outbox.package_of_session("visit-3") == package_id
    assert outbox.get(package_id).sha256 == hashlib.sha256(sealed).hexdigest()


def test_an_intent_whose_file_never_arrived_leaves_nothing(back_office: BackOffice) -> None:
    config = back_office.outbox_config("")
    Outbox(config).close()
    db = sqlite3.connect(config.state_dir / "outbox.sqlite3")
    db.execute("INSERT INTO intents (package_id, session_id) VALUES ('p-1', 'visit-4')")
    db.commit()
    db.close()
    outbox = Outbox(config)
    assert outbox.package_of_session("visit-4") is None
    assert outbox.packages() == []

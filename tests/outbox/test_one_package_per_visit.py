"""One visit, one package: the outbox binds a package to its visit in the commit that keeps it, and the
audit records of committed changes are owed, never lost and never doubled, when the log cannot take them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind
from kitd.outbox.errors import VisitAlreadySealed
from kitd.outbox.outbox import EVENT_FIELD, Outbox
from support.back_office import BackOffice


def test_a_second_package_for_the_same_visit_is_refused_and_nothing_is_written(
    back_office: BackOffice,
) -> None:
    config = back_office.outbox_config("")
    outbox = Outbox(config)
    first = outbox.enqueue(back_office.small_package("APP-1"), "session-1")
    with pytest.raises(VisitAlreadySealed) as caught:
        outbox.enqueue(back_office.small_package("APP-1"), "session-1")
    assert caught.value.package_id == first.package_id
    assert [p.package_id for p in outbox.packages()] == [first.package_id]
    assert [p.name for p in (config.state_dir / "packages").iterdir()] == [Path(first.path).name]


def test_the_index_itself_refuses_a_second_row_for_a_visit(back_office: BackOffice) -> None:
    config = back_office.outbox_config("")
    outbox = Outbox(config)
    outbox.enqueue(back_office.small_package(), "session-1")
    outbox.close()
    db = sqlite3.connect(config.state_dir / "outbox.sqlite3")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO packages (package_id, state, sha256, size, file_name, recipient_key_id, "
            "sealed_at, expires_at, session_id) VALUES ('other', 'sealed', '', 0, 'x', '', 0, 0, "
            "'session-1')"
        )
    db.close()


def test_the_record_of_a_commit_the_log_refused_is_appended_at_the_next_start_once(
    back_office: BackOffice,
) -> None:
    config = back_office.outbox_config("")
    path = back_office.root / "audit.log"
    audit = AuditLog(path, back_office.signer)
    outbox = Outbox(config, audit)
    audit.close()  # the log takes nothing more, as on a full disk
    entry = outbox.enqueue(back_office.small_package(), "session-1")
    assert outbox.package_of_session("session-1") == entry.package_id
    assert outbox.records_owed == 1
    outbox.close()

    for _ in range(2):  # the second start finds nothing owed
        reopened_log = AuditLog(path, back_office.signer)
        reopened = Outbox(config, reopened_log)
        assert reopened.records_owed == 0
        reopened.close()
        reopened_log.close()
    records = AuditLog(path, back_office.signer).records_since(-1)
    sealed = [r for r in records if r.kind is AuditKind.PACKAGE_SEALED]
    assert [(r.fields["package_id"], r.fields["session_id"]) for r in sealed] == [
        (entry.package_id, "session-1")
    ]
    assert EVENT_FIELD in sealed[0].fields


def test_a_record_appended_just_before_a_crash_is_not_appended_again(
    back_office: BackOffice,
) -> None:
    # The append reached the log, the crash came before the owed row was dropped.
    config = back_office.outbox_config("")
    path = back_office.root / "audit.log"
    audit = AuditLog(path, back_office.signer)
    outbox = Outbox(config, audit)
    entry = outbox.enqueue(back_office.small_package(), "session-1")
    outbox.close()
    audit.close()
    appended = [r for r in AuditLog(path, back_office.signer).records_since(-1)]
    event = next(r for r in appended if r.kind is AuditKind.PACKAGE_SEALED).fields[EVENT_FIELD]
    db = sqlite3.connect(config.state_dir / "outbox.sqlite3")
    db.execute(
        "INSERT INTO audit_due (event_id, kind, operator_id, fields) VALUES (?, ?, '', ?)",
        (event, AuditKind.PACKAGE_SEALED.value, f'{{"package_id": "{entry.package_id}"}}'),
    )
    db.commit()
    db.close()
    reopened_log = AuditLog(path, back_office.signer)
    reopened = Outbox(config, reopened_log)
    assert reopened.records_owed == 0
    sealed = [r for r in reopened_log.records_since(-1) if r.kind is AuditKind.PACKAGE_SEALED]
    assert len(sealed) == 1


def test_the_records_of_an_upload_the_log_refused_are_filled_in_at_the_next_start(
    back_office: BackOffice, tmp_path: Path
) -> None:
    receiver = back_office.receiver()
    receiver.start()
    try:
        config = back_office.outbox_config(receiver.url)
        path = back_office.root / "audit.log"
        audit = AuditLog(path, back_office.signer)
        outbox = Outbox(config, audit)
        entry = outbox.enqueue(back_office.small_package(), "session-1")
        audit.close()  # from here on the log takes nothing, as on a full disk
        assert outbox.flush().uploaded == 1
        assert outbox.records_owed == 2
        outbox.close()
    finally:
        receiver.stop()
    reopened_log = AuditLog(path, back_office.signer)
    Outbox(config, reopened_log).close()
    kinds = [
        r.kind
        for r in reopened_log.records_since(-1)
        if r.fields.get("package_id") == entry.package_id
    ]
    assert kinds == [
        AuditKind.PACKAGE_SEALED,
        AuditKind.PACKAGE_UPLOADED,
        AuditKind.PACKAGE_DELETED,
    ]

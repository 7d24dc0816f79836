"""One visit per kit; sessions survive client reconnects; a restart loses visits loudly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kitd.errors import SessionActive, SessionLost, SessionNotFound
from kitd.policy import load_policies
from kitd.session.manager import RESTART_REASON, SessionManager
from kitd.session.model import SessionState
from support.deviceless import deviceless_visits


def manager(tmp_path: Path, clock=None, records: list | None = None) -> SessionManager:
    kwargs: dict[str, Any] = {}
    if clock is not None:
        kwargs["clock"] = clock
    if records is not None:
        kwargs["on_record"] = lambda sid, kind, fields: records.append((sid, kind))
    return SessionManager(load_policies(), tmp_path / "sessions.json", **kwargs)


def start(sessions: SessionManager, profile: str, age: int, operator_id: str, **kwargs: Any):
    """A visit started the one way visits start, over these sessions."""
    return deviceless_visits(sessions).create(profile, age, operator_id, **kwargs)


def test_a_second_visit_is_refused_naming_the_active_one(tmp_path: Path) -> None:
    sessions = manager(tmp_path)
    first = start(sessions, "be-eid", 30, "op")
    with pytest.raises(SessionActive) as caught:
        start(sessions, "be-eid", 30, "op")
    assert first.session_id in str(caught.value)
    assert caught.value.metadata["active_session_id"] == first.session_id


def test_a_reconnecting_client_finds_its_session_by_id(tmp_path: Path) -> None:
    sessions = manager(tmp_path)
    created = start(sessions, "be-eid", 30, "op")
    assert sessions.get(created.session_id) is created
    assert sessions.active() is created


def test_after_cancel_a_new_visit_can_start(tmp_path: Path) -> None:
    sessions = manager(tmp_path)
    first = start(sessions, "be-eid", 30, "op")
    first.cancel("wrong citizen")
    sessions.ended(first)
    second = start(sessions, "be-kids-id", 5, "op")
    assert second.session_id != first.session_id
    with pytest.raises(SessionNotFound, match="cancelled"):
        sessions.get(first.session_id)


def test_a_restart_marks_the_active_visit_lost_with_the_reason(tmp_path: Path) -> None:
    before = manager(tmp_path)
    session_id = start(before, "be-eid", 30, "op").session_id
    after = manager(tmp_path)  # a new daemon process reads the same journal
    with pytest.raises(SessionLost) as caught:
        after.get(session_id)
    assert RESTART_REASON in str(caught.value)
    assert after.active() is None


def test_the_journal_holds_no_biometric_data(tmp_path: Path) -> None:
    sessions = manager(tmp_path)
    start(sessions, "be-eid", 30, "op", application_reference="APP-1", display_name="Jan Peeters")
    text = (tmp_path / "sessions.json").read_text()
    assert "Jan Peeters" not in text
    assert set(__import__("json").loads(text)[0]) == {
        "session_id",
        "state",
        "profile",
        "created_at",
        "end_reason",
    }


def test_an_expired_visit_is_lost_and_frees_the_kit(tmp_path: Path) -> None:
    now = [1000.0]
    sessions = manager(tmp_path, clock=lambda: now[0])
    first = start(sessions, "be-eid", 30, "op")
    now[0] += first.policy.session_timeout_s + 1
    assert sessions.active() is None
    assert first.state is SessionState.LOST
    with pytest.raises(SessionLost, match="timed out"):
        sessions.get(first.session_id)
    start(sessions, "be-eid", 30, "op")


def test_records_carry_the_session_id(tmp_path: Path) -> None:
    records: list = []
    sessions = manager(tmp_path, records=records)
    session = start(sessions, "be-eid", 30, "op")
    assert records[0] == (session.session_id, "session_created")


def test_a_corrupt_journal_is_ignored_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "sessions.json").write_text("{not json")
    sessions = manager(tmp_path)
    assert start(sessions, "be-eid", 30, "op").state is SessionState.ACTIVE


def test_a_restart_after_the_package_was_committed_reports_the_visit_finalized(
    tmp_path: Path,
) -> None:
    # The daemon died inside finalize after the outbox committed the package, before the journal
    # (or the client) heard of it: the visit must not be reported lost, or the citizen is enrolled
    # twice.
    session = start(manager(tmp_path), "be-eid", 30, "op")
    committed = {session.session_id: "01a23c7a-c826-7316-bb9e-5f5fc86498f7"}
    after = SessionManager(
        load_policies(), tmp_path / "sessions.json", package_of_session=committed.get
    )
    with pytest.raises(SessionNotFound) as caught:
        after.get(session.session_id)
    assert "finalized as package 01a23c7a-c826-7316-bb9e-5f5fc86498f7" in str(caught.value)
    assert after.active() is None

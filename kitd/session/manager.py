"""One visit at a time: admits, finds, expires and ends sessions, and remembers their ids.

Sessions live in memory with their captures. Only a small journal of session ids and states is written
(state_dir/sessions.json, no biometric data), so that after a daemon restart a client asking for its
old session is told clearly that the visit was lost and why, instead of "not found".
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kitd.audit.session_records import RecordSink, SessionRecordKind
from kitd.durable import fsync_folder
from kitd.errors import SessionActive, SessionLost, SessionNotFound
from kitd.locale.message import Message
from kitd.policy import PolicySet
from kitd.session.model import SessionState
from kitd.session.session import Session

log = logging.getLogger(__name__)

RESTART_REASON = "the daemon restarted during the visit; its captures were dropped (never stored)"
# The daemon died after the visit's package was committed but before it could say so.
FINALIZED_REASON = "finalized as package {package_id}; the daemon restarted before it could answer"
FINALIZED_KEPT = 16


class SessionManager:
    """The kit's sessions: the one active visit, and a journal of the ended ones."""

    def __init__(
        self,
        policies: PolicySet,
        journal: Path,
        *,
        on_record: Callable[[str, SessionRecordKind, dict[str, Any]], None] | None = None,
        clock: Callable[[], float] = time.time,
        package_of_session: Callable[[str], str | None] | None = None,
    ) -> None:
        self.policies = policies
        self._journal = journal
        self._on_record = on_record
        self._package_of_session = package_of_session
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        # Recently finalized visits (payloads already dropped): a finalize retried gets its receipt.
        self._finalized: dict[str, Session] = {}
        self._ended: dict[str, dict[str, Any]] = self._read_journal()
        self._recover()

    # -- journal -------------------------------------------------------------------------------------

    def _read_journal(self) -> dict[str, dict[str, Any]]:
        try:
            entries = json.loads(self._journal.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("session journal unreadable, starting empty", extra={"error": str(exc)})
            return {}
        return {e["session_id"]: e for e in entries if isinstance(e, dict) and "session_id" in e}

    def _recover(self) -> None:
        changed = False
        for entry in self._ended.values():
            if entry.get("state") == SessionState.ACTIVE.value:
                # A visit killed inside finalize may have its package committed: telling the
                # operator it was lost would have the citizen enrolled twice.
                package_id = (
                    self._package_of_session(str(entry["session_id"]))
                    if self._package_of_session is not None
                    else None
                )
                if package_id is not None:
                    entry["state"] = SessionState.FINALIZED.value
                    entry["end_reason"] = FINALIZED_REASON.format(package_id=package_id)
                else:
                    entry["state"] = SessionState.LOST.value
                    entry["end_reason"] = RESTART_REASON
                changed = True
        if changed:
            self._write_journal()

    def _write_journal(self) -> None:
        entries = list(self._ended.values())[-200:]
        entries += [self._entry(s) for s in self._sessions.values()]
        self._journal.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._journal.with_suffix(".tmp")
        with open(tmp, "w") as handle:
            json.dump(entries, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._journal)
        # The rename is durable only once the folder is.
        fsync_folder(self._journal.parent)

    @staticmethod
    def _entry(session: Session) -> dict[str, Any]:
        return {
            "session_id": session.session_id,
            "state": session.state.value,
            "profile": session.policy.id,
            "created_at": session.created_at,
            "end_reason": session.end_reason,
        }

    # -- sessions ------------------------------------------------------------------------------------

    @property
    def clock(self) -> Callable[[], float]:
        return self._clock

    def records_of(self, session_id: str) -> RecordSink:
        """The record sink of one session: its records reach the audit log with its id."""
        on_record = self._on_record

        def record(kind: SessionRecordKind, fields: dict[str, Any]) -> None:
            if on_record is not None:
                on_record(session_id, kind, fields)

        return record

    def admit(self, build: Callable[[str], Session]) -> Session:
        """Keeps the session `build(session_id)` makes, unless a visit is already active.

        The session is built under the lock, after the check, so that a refused visit leaves no
        record behind.
        """
        with self._lock:
            self._expire_locked()
            active = self._active_locked()
            if active is not None:
                raise SessionActive(
                    Message.of("error.session_active", session_id=active.session_id),
                    active_session_id=active.session_id,
                )
            session = build(str(uuid.uuid4()))
            self._sessions = {
                k: v for k, v in self._sessions.items() if v.state is SessionState.ACTIVE
            }
            self._sessions[session.session_id] = session
            self._write_journal()
            return session

    def get(self, session_id: str) -> Session:
        with self._lock:
            self._expire_locked()
            session = self._sessions.get(session_id)
            if session is not None:
                return session
            entry = self._ended.get(session_id)
        if entry is not None and entry.get("state") == SessionState.LOST.value:
            raise SessionLost(
                Message.of(
                    "error.session_lost",
                    session_id=session_id,
                    reason=str(entry.get("end_reason")),
                ),
                session_id=session_id,
            )
        if entry is not None:
            reason = str(entry.get("end_reason") or "")
            state = Message(f"session.state.{entry.get('state')}")
            message = (
                Message.of(
                    "error.session_ended_reason", session_id=session_id, state=state, reason=reason
                )
                if reason
                else Message.of("error.session_ended", session_id=session_id, state=state)
            )
            raise SessionNotFound(message, session_id=session_id)
        raise SessionNotFound(
            Message.of("error.session_not_found", session_id=session_id), session_id=session_id
        )

    def active(self) -> Session | None:
        with self._lock:
            self._expire_locked()
            return self._active_locked()

    def ended(self, session: Session) -> None:
        """Called after a session finalized, was cancelled or lost: journal its end.

        The end stands even when the journal cannot be written (a full disk): the journal is written
        again at the next change.
        """
        with self._lock:
            self._ended[session.session_id] = self._entry(session)
            self._sessions.pop(session.session_id, None)
            if session.state is SessionState.FINALIZED:
                self._finalized[session.session_id] = session
                while len(self._finalized) > FINALIZED_KEPT:
                    self._finalized.pop(next(iter(self._finalized)))
            try:
                self._write_journal()
            except OSError as exc:
                log.warning("session journal not written", extra={"error": str(exc)})

    def finalized(self, session_id: str) -> Session | None:
        """A visit of this daemon's life that ended finalized, if it is one of the recent ones."""
        with self._lock:
            return self._finalized.get(session_id)

    def expire(self) -> None:
        with self._lock:
            self._expire_locked()

    def _active_locked(self) -> Session | None:
        return next((s for s in self._sessions.values() if s.state is SessionState.ACTIVE), None)

    def _expire_locked(self) -> None:
        now = self._clock()
        for session in list(self._sessions.values()):
            if session.state is SessionState.ACTIVE and now >= session.expires_at:
                session.lose(Message("session.end.timed_out"))
            if session.state is not SessionState.ACTIVE:
                self._ended[session.session_id] = self._entry(session)
                del self._sessions[session.session_id]
                if session.state is SessionState.FINALIZED:
                    self._finalized[session.session_id] = session
                self._write_journal()

    def end_all(self, reason: Message) -> None:
        """Ends every active visit as lost with `reason` (the daemon stops) and journals each end."""
        with self._lock:
            active = [s for s in self._sessions.values() if s.state is SessionState.ACTIVE]
        for session in active:
            session.lose(reason)
            self.ended(session)

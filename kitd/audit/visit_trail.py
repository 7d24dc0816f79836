"""A visit's part of the audit chain: the sink that sessions report to, and the records of one visit.

The trail writes the audited session records (kitd.audit.session_records) to the log, remembers where
each visit's records begin so that sealing can put them into the package, and checkpoints the log at
the end of every visit. It never decides what a visit may do.
"""

from __future__ import annotations

import logging
from typing import Any

from kitd.audit.errors import AuditLogError
from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind, AuditRecord
from kitd.audit.session_records import AUDIT_KIND_OF, SessionRecordKind

log = logging.getLogger(__name__)


class VisitTrail:
    """Writes the audited records of every visit and hands back one visit's records."""

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit
        # The sequence number just before each visit's first record.
        self._visit_start: dict[str, int] = {}

    def record(self, session_id: str, kind: SessionRecordKind, fields: dict[str, Any]) -> None:
        """The sessions' record sink (`SessionManager(on_record=…)`)."""
        audit_kind = AUDIT_KIND_OF.get(kind)
        if audit_kind is None:
            return
        operator = str(fields.get("operator_id", ""))
        fields_out = {k: v for k, v in fields.items() if k != "operator_id"}
        if audit_kind is AuditKind.VISIT_FINISHED:
            # The visit has ended (its package may be committed): a full disk must not undo that.
            self._audit.append_after(audit_kind, operator, session_id=session_id, **fields_out)
            try:
                self._audit.checkpoint()  # a visit's records are vouched for, the log's length too
            except AuditLogError as exc:
                log.warning("checkpoint after a visit deferred", extra={"error": str(exc)})
            return
        written = self._audit.append(
            audit_kind,
            operator,
            session_id=session_id,
            **fields_out,
        )
        if audit_kind is AuditKind.VISIT_STARTED:
            self._visit_start[session_id] = written.seq - 1

    def records_of(self, session_id: str) -> tuple[AuditRecord, ...]:
        """The records since the visit started (the whole log when its start is unknown)."""
        return self._audit.records_since(self._visit_start.get(session_id, -1))

"""What a session reports happening to it, and which of those reports go into the audit chain.

A session names each change with a SessionRecordKind; the visit trail (kitd.audit.visit_trail) turns
the audited ones into audit records. The values are the names the journal and the tests have always
used, so nothing stored changes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from kitd.audit.record import AuditKind


class SessionRecordKind(enum.StrEnum):
    """A change a session reports: a visit begun or ended, an attempt, a fallback, a pause, etc."""

    SESSION_CREATED = "session_created"
    SESSION_ENDED = "session_ended"
    ATTEMPT = "attempt"
    FINGER_FALLBACK = "finger_fallback"
    OVERRIDE = "override"
    FINGER_EXCEPTION = "finger_exception"
    SIGNATURE_WAIVER = "signature_waiver"
    STEP_PAUSED = "step_paused"
    STEP_RESUMED = "step_resumed"
    # A delivery's identity checked another way than by fingerprint (the operator's visual check).
    IDENTITY_CHECK = "identity_check"
    # A home visit's eligibility as the operator recorded it (the request, the certificate, the place).
    ELIGIBILITY = "eligibility"


# The session records that go into the audit chain, and as what; the others (fallbacks, pauses) are
# consequences of audited records and device faults, which are in the chain already.
AUDIT_KIND_OF: dict[SessionRecordKind, AuditKind] = {
    SessionRecordKind.SESSION_CREATED: AuditKind.VISIT_STARTED,
    SessionRecordKind.SESSION_ENDED: AuditKind.VISIT_FINISHED,
    SessionRecordKind.ATTEMPT: AuditKind.ATTEMPT,
    SessionRecordKind.OVERRIDE: AuditKind.OVERRIDE,
    SessionRecordKind.FINGER_EXCEPTION: AuditKind.EXCEPTION,
    SessionRecordKind.SIGNATURE_WAIVER: AuditKind.WAIVER,
    SessionRecordKind.IDENTITY_CHECK: AuditKind.IDENTITY_CHECK,
    SessionRecordKind.ELIGIBILITY: AuditKind.ELIGIBILITY,
}


# Where a session reports its changes: a record kind and the record's fields.
RecordSink = Callable[[SessionRecordKind, dict[str, Any]], None]

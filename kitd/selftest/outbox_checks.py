"""Self-test of the outbox: how many sealed packages wait, how close the oldest is to the retention
ceiling (where it is deleted unsent), and whether any package was already deleted unsent.

It reads the outbox's status and the audit chain; it never uploads, deletes or opens a package.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from kitd.audit.record import AuditKind
from kitd.selftest.context import SelfTestContext
from kitd.selftest.probe import CheckSpec, Probe, ProbeItem
from kitd.selftest.result import Verdict

BACKLOG = CheckSpec("outbox.backlog", "Packages waiting for upload")
OLDEST = CheckSpec("outbox.oldest", "Oldest waiting package against the retention ceiling")
EXPIRED = CheckSpec("outbox.expired", "No package deleted unsent by the retention ceiling")
HELD = CheckSpec("outbox.held", "No unsent package kept past the ceiling because the clock moved")

_DAY_S = 86400.0


class OutboxProbe(Probe):
    """The self-test of the outbox: backlog, oldest package and expired ones."""

    title = "Outbox"

    def checks(self, context: SelfTestContext) -> tuple[CheckSpec, ...]:
        return (BACKLOG, OLDEST, EXPIRED, HELD)

    def run(self, context: SelfTestContext) -> Iterator[ProbeItem]:
        outbox = context.outbox
        if outbox is None:
            for spec in (BACKLOG, OLDEST, EXPIRED, HELD):
                yield spec.result(Verdict.SKIPPED, hint="The outbox is not open in this mode.")
            return
        status = outbox.status()
        limits = context.limits
        upload = (
            f"check the network and that the back office at {outbox.config.receiver_url} answers"
            if outbox.config.receiver_url
            else "no receiver is configured (outbox.receiver_url in kitd.toml): set it"
        )
        last_error = f" Last upload error: {status.last_error}." if status.last_error else ""
        yield BACKLOG.measured(
            status.pending,
            limits.outbox_backlog,
            {
                Verdict.WARN: f"{status.pending} packages wait for upload: {upload}.{last_error}",
                Verdict.FAIL: f"{status.pending} packages wait for upload: {upload}; the uploader "
                f"sends them as soon as the back office answers.{last_error}",
            },
        )
        retention_s = status.retention_days * _DAY_S
        oldest = status.oldest_pending_sealed_at
        age_s = 0.0 if oldest is None else max(0.0, context.now - oldest)
        left_days = max(0.0, (retention_s - age_s) / _DAY_S)
        yield OLDEST.measured(
            100.0 * age_s / retention_s,
            limits.outbox_oldest,
            {
                Verdict.WARN: f"The oldest package has waited {age_s / _DAY_S:.0f} of "
                f"{status.retention_days} days; it is deleted unsent in {left_days:.0f} days: "
                f"{upload}.{last_error}",
                Verdict.FAIL: f"The oldest package has waited {age_s / _DAY_S:.0f} of "
                f"{status.retention_days} days and is deleted unsent in {left_days:.0f} days: "
                f"{upload} now, or the visit must be redone.{last_error}",
            },
        )
        yield self._expired(context, retention_s)
        yield self._held(status.held, upload)

    @staticmethod
    def _held(held: int, upload: str) -> ProbeItem:
        limit = "0"
        if not held:
            return HELD.result(Verdict.PASS, value=0, unit="packages", limit=limit)
        return HELD.result(
            Verdict.WARN,
            value=held,
            unit="packages",
            limit=limit,
            hint=f"{held} packages never delivered are past the retention ceiling by the clock's "
            "date but not by the time they have been on this kit: the clock moved. The kit keeps "
            f"them and never deletes them itself; {upload}, and ask the back office whether they "
            "may still be delivered (`kitctl outbox list` names them).",
        )

    def _expired(self, context: SelfTestContext, window_s: float) -> ProbeItem:
        limit = "0 in the last retention period"
        if context.audit is None:
            return EXPIRED.result(
                Verdict.SKIPPED, unit="packages", limit=limit, hint="The audit log is not open."
            )
        since = context.now - window_s
        expired = [
            record
            for record in context.audit.records_since(-1)
            if record.kind is AuditKind.PACKAGE_EXPIRED and _epoch(record.time) >= since
        ]
        if not expired:
            return EXPIRED.result(Verdict.PASS, value=0, unit="packages", limit=limit)
        return EXPIRED.result(
            Verdict.FAIL,
            value=len(expired),
            unit="packages",
            limit=limit,
            hint=f"{len(expired)} packages reached the retention ceiling before the back office "
            "had them and were deleted: those visits must be redone. Tell the back office "
            "(the audit log names the packages) and make sure the kit can upload.",
        )


def _epoch(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0

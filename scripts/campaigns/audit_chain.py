"""The audit log on a kit's disk, read after a campaign: its records and whether the chain holds."""

from __future__ import annotations

from pathlib import Path

from kitd.audit.record import AuditRecord
from kitd.audit.verify import decode_records, verify_chain

VERIFIES = "verifies"


def audit_records(state: Path) -> list[AuditRecord]:
    """The records of STATE/audit.log (a torn tail is left out, as the daemon would cut it)."""
    records, _ = decode_records((state / "audit.log").read_bytes())
    return records


def chain_verdict(records: list[AuditRecord]) -> str:
    """`verifies`, or `BROKEN: ` and why."""
    try:
        verify_chain(records)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return f"BROKEN: {exc}"
    return VERIFIES

"""The `--json` document of a self-test (docs/selftest.md describes it for the tools that read it).

One object: overall verdict, exit code, mode, every check with its figure, limit and hint, and the start
and end times (RFC 3339, UTC). Pictures are not in the JSON; the HTML report carries them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from kitd.selftest.result import CheckResult, Report

FORMAT_VERSION = 1


def rfc3339(seconds: float) -> str:
    """Seconds since the epoch as RFC 3339 in UTC, to the millisecond."""
    return (
        datetime.fromtimestamp(seconds, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def check_dict(check: CheckResult) -> dict[str, Any]:
    """One check as the JSON report writes it."""
    return {
        "id": check.id,
        "title": check.title,
        "verdict": check.verdict.value,
        "value": check.value,
        "unit": check.unit,
        "limit": check.limit,
        "hint": check.hint,
    }


def report_dict(report: Report, *, kit_id: str = "") -> dict[str, Any]:
    """A report as the JSON report's object."""
    return {
        "format": FORMAT_VERSION,
        "kit_id": kit_id,
        "overall": report.overall.value,
        "exit_code": int(report.exit_code),
        "mode": report.mode.value,
        "checks": [check_dict(c) for c in report.checks],
        "started_at": rfc3339(report.started_at),
        "finished_at": rfc3339(report.finished_at),
    }


def report_json(report: Report, *, kit_id: str = "") -> str:
    """A report as indented JSON text."""
    return json.dumps(report_dict(report, kit_id=kit_id), indent=2, ensure_ascii=False)

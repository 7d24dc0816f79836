"""The result of one quality check, shared by the face, finger and signature assessments.

Check ids come from a fixed vocabulary (docs/api.md lists them all; docs/quality-face.md says what each
face check measures); the API, the CLIs, the package and the tests all use the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from kitd.locale.message import Message


@dataclass(frozen=True)
class CheckResult:
    """One quality check's outcome: native value, limit, verdict, a 0-100 quality and guidance."""

    id: str
    # The measured native value (degrees, pixels, ratio, score, ...).
    value: float
    # The limit applied; for a range, the bound that was violated or the nearest one.
    threshold: float
    passed: bool
    # 0..100, higher is better.
    quality: int
    # Operator-facing advice when the check fails (a message id the API renders); None when it passes.
    guidance: Message | None = None


def all_passed(checks: tuple[CheckResult, ...] | list[CheckResult]) -> bool:
    """Whether every check passed."""
    return all(check.passed for check in checks)

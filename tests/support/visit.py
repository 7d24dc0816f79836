"""Visits driven through the API, the citizen played: the harness's (kitharness.visit)."""

from kitharness.visit import (
    LEFT_INDEX,
    RIGHT_INDEX,
    RIGHT_MIDDLE,
    Visit,
    captured_attempt,
    failed_checks,
)

__all__ = [
    "LEFT_INDEX",
    "RIGHT_INDEX",
    "RIGHT_MIDDLE",
    "Visit",
    "captured_attempt",
    "failed_checks",
]

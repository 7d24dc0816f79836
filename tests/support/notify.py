"""The stand-in for systemd's notification socket: the harness's (kitharness.notify)."""

from kitharness.notify import (
    NotifyRecorder,
)

__all__ = [
    "NotifyRecorder",
]

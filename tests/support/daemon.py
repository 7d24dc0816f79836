"""The daemon as a process, for tests: the harness's (kitharness.daemon)."""

from kitharness.daemon import (
    READY_TIMEOUT,
    UNTYPED_STATUS_MARKS,
    RunningDaemon,
    write_config,
)

__all__ = [
    "READY_TIMEOUT",
    "UNTYPED_STATUS_MARKS",
    "RunningDaemon",
    "write_config",
]

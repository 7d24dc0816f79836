"""The daemon as a process, for tests: the harness's (kitharness.daemon)."""

from kitharness.daemon import (
    RunningDaemon,
    write_config,
)

__all__ = [
    "RunningDaemon",
    "write_config",
]

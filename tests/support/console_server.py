"""kit-console as a process in front of a kit: the harness's (kitharness.console_server)."""

from kitharness.console_server import RunningConsole

__all__ = ["RunningConsole"]

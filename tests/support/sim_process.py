"""One simulated device in its own process: the harness's (kitharness.sim_process)."""

from kitharness.sim_process import SimProcess

__all__ = ["SimProcess"]

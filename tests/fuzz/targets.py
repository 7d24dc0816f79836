"""The fuzz targets: the harness's (kitharness.fuzz_targets), which scripts/fuzz drives too."""

from kitharness.fuzz_targets import (
    TARGETS,
    FuzzTarget,
    _back_office,
    _InMemoryRequest,
    _receiver,
    run_one,
)

__all__ = ["TARGETS", "FuzzTarget", "_InMemoryRequest", "_back_office", "_receiver", "run_one"]

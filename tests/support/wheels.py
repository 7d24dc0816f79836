"""Builds a project's wheel with the suite's own pip and build tools (no build isolation: offline)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def build_wheel(source: Path, out: Path) -> Path:
    """The wheel of the project in `source`, written into `out`."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return next(out.glob("*.whl"))

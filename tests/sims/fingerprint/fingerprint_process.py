"""The simulated fingerprint reader in its own process, for the driver and contract tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.sim_process import SimProcess


class FingerprintSimProcess(SimProcess):
    def __init__(self, workdir: Path, **options: Any) -> None:
        super().__init__("fingerprint", workdir, **options)

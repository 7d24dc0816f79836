"""Where SoftHSM2 lives and what a test token is."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Token:
    module: Path
    label: str
    pin: str


def find_softhsm_module() -> Path | None:
    """SOFTHSM2_MODULE if set, else the module installed next to softhsm2-util (plain or multiarch)."""
    configured = os.environ.get("SOFTHSM2_MODULE")
    if configured:
        return Path(configured)
    util = shutil.which("softhsm2-util")
    if util is None:
        return None
    prefix = Path(util).resolve().parent.parent
    candidates = [prefix / "lib" / "softhsm" / "libsofthsm2.so"]
    candidates += sorted(prefix.glob("lib/*/softhsm/libsofthsm2.so"))
    return next((c for c in candidates if c.exists()), None)

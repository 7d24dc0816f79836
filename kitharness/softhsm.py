"""Where SoftHSM2 lives, what a token is, and a token store of its own for a test, the demo or the bench."""

from __future__ import annotations

import os
import shutil
import subprocess
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


class NoSoftHsm(Exception):
    """SoftHSM2 is not installed here (./scripts/setup installs it)."""


def init_token(folder: Path, label: str, pin: str, so_pin: str) -> Path:
    """A token store of its own in `folder` with one token initialised under `label`; returns the
    softhsm2.conf that names it (what SOFTHSM2_CONF must point to for anyone using the token)."""
    # Looked for first: without SoftHSM2 nothing is written.
    util = shutil.which("softhsm2-util")
    if util is None:
        raise NoSoftHsm("softhsm2-util not found (./scripts/setup installs softhsm2)")
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    subprocess.run(
        [util, "--init-token", "--free", "--label", label, "--so-pin", so_pin, "--pin", pin],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
    )
    return conf

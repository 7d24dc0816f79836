"""Runs the Python commands of scripts/ in the project's environment, `.venv` at the repository root.

The commands start with `#!/usr/bin/env python3`, so `./scripts/NAME` starts whatever python3 comes first
on the PATH, which has none of the project's packages. Each command imports this module before anything
that lives in `.venv`; the import runs the command again under `.venv/bin/python`, after creating `.venv`
with `./scripts/setup` when there is none yet. A Python that has kitd installed is kept as it is (`.venv`
itself, the throwaway venv of check-upgrades, a board's), and so is any program that merely imports a
command as a module (setup.py's build hook runs gen-protos in the build's own Python). This module never
touches sys.path; only setup.py's build hook does, putting scripts/ on it for gen-protos' siblings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"


def _started_command() -> Path | None:
    """The command of scripts/ that this process was started as, if it was started as one."""
    started = getattr(sys.modules["__main__"], "__file__", None)
    if started is None or Path(started).resolve().parent != SCRIPTS:
        return None
    return Path(started)


def _has_kitd() -> bool:
    try:
        metadata.distribution("kitd")
    except metadata.PackageNotFoundError:
        return False
    return True


def _run_in_project_venv() -> None:
    command = _started_command()
    if command is None or Path(sys.prefix).resolve() == VENV.resolve() or _has_kitd():
        return
    if not PYTHON.exists():
        print(
            f"{command.name}: there is no .venv yet; running ./scripts/setup first", file=sys.stderr
        )
        if subprocess.run([str(SCRIPTS / "setup")], check=False).returncode != 0:
            sys.exit(f"{command.name}: ./scripts/setup failed (its message is above); run it again")
    # The venv's own path, not its target: Python finds the venv by the pyvenv.cfg beside it.
    os.execv(PYTHON, [str(PYTHON), str(command), *sys.argv[1:]])


_run_in_project_venv()

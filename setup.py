"""The build hook: every build of kitd (wheel, sdist, editable install) generates gen/ from protos/ first,
and the board's build leaves the back office and the test harness out.

All metadata lives in pyproject.toml; this file only makes `pip wheel .` and `python -m build` work from a
clean clone, where gen/ (build output, never committed) does not exist yet. An sdist carries gen/ and no
protos/, so a wheel built from it uses the generated code it has.

`KITD_WHEEL=board` (set by scripts/wheelhouse) builds the wheel a kit installs: the same distribution
without the `backoffice` package and its command `kitpkg`, which run at the back office and never on a
kit, and without `kitharness`, which starts kits for tests, the demo and the soaks. Unset or `full`:
everything pyproject.toml lists.
"""

import os
import runpy
import shutil
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parent
WHEELS = ("full", "board")
# What the board's wheel leaves out: the back office's packages and its command, and the harness.
LEFT_OFF_BOARD = ("backoffice", "kitharness")
BACK_OFFICE_COMMAND = "kitpkg"
# The board's build has a folder of its own, emptied first: setuptools packs whatever its build folder
# holds, so a full build's copy of the back office left in build/lib would slip into the board's wheel.
BOARD_BUILD = ROOT / "build" / "board"


def wheel_kind() -> str:
    """Which wheel to build, from KITD_WHEEL; a value that names no wheel stops the build."""
    kind = os.environ.get("KITD_WHEEL", "") or "full"
    if kind not in WHEELS:
        raise SystemExit(f"kitd build: KITD_WHEEL={kind!r} names no wheel; use one of {WHEELS}")
    return kind


class KitDistribution(Distribution):
    """pyproject.toml's distribution; for the board, without the back office and the harness."""

    def parse_config_files(self, *args: Any, **kwargs: Any) -> None:
        super().parse_config_files(*args, **kwargs)
        if wheel_kind() != "board":
            return
        self.packages = [
            name for name in self.packages or [] if name.split(".")[0] not in LEFT_OFF_BOARD
        ]
        scripts = self.entry_points.get("console_scripts", [])
        self.entry_points["console_scripts"] = [
            line for line in scripts if line.split("=")[0].strip() != BACK_OFFICE_COMMAND
        ]
        shutil.rmtree(BOARD_BUILD, ignore_errors=True)
        self.command_options.setdefault("build", {})["build_base"] = ("setup.py", str(BOARD_BUILD))


wheel_kind()  # a wrong KITD_WHEEL stops the build before anything is generated
if (ROOT / "protos").is_dir():
    sys.path.insert(0, str(ROOT / "scripts"))  # gen-protos imports its sibling modules
    gen_protos = runpy.run_path(str(ROOT / "scripts" / "gen-protos"), run_name="gen_protos")
    if gen_protos["generate"](if_changed=True) != 0:
        raise SystemExit("kitd build: generating gen/ from protos/ failed")

setup(distclass=KitDistribution)

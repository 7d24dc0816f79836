"""The build hook: every build of kitd (wheel, sdist, editable install) generates gen/ from protos/ first.

All metadata lives in pyproject.toml; this file only makes `pip wheel .` and `python -m build` work from a
clean clone, where gen/ (build output, never committed) does not exist yet. An sdist carries gen/ and no
protos/, so a wheel built from it uses the generated code it has.
"""

import runpy
import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent

if (ROOT / "protos").is_dir():
    sys.path.insert(0, str(ROOT / "scripts"))  # gen-protos imports its sibling modules
    gen_protos = runpy.run_path(str(ROOT / "scripts" / "gen-protos"), run_name="gen_protos")
    if gen_protos["generate"](if_changed=True) != 0:
        raise SystemExit("kitd build: generating gen/ from protos/ failed")

setup()

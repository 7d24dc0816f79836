"""scripts/setup installs only what the lock's hashes name: a file whose hash differs stops the set-up with
a message naming the package. Runs offline: pip is pointed at a folder with one locally built wheel."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from support.wheels import build_wheel

pytestmark = pytest.mark.slow

# What scripts/setup reads besides itself.
SETUP_INPUTS = [
    "pyproject.toml",
    "scripts/setup",
    "scripts/help.bash",
    "scripts/check-env",
    "scripts/project_venv.py",
    "scripts/lockfile.py",
    "scripts/deps/debian.txt",
    "scripts/deps/npm/package.json",
    "scripts/deps/npm/package-lock.json",
]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the wheel of a tiny package, kitd-lock-probe 1.0."""
    source = tmp_path_factory.mktemp("probe")
    (source / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [build-system]
            requires = ["setuptools"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "kitd-lock-probe"
            version = "1.0"
            """
        )
    )
    (source / "kitd_lock_probe.py").write_text('"""An empty module."""\n')
    out = tmp_path_factory.mktemp("wheels")
    build_wheel(source, out)
    return out


def checkout_with_lock(repo_root: Path, where: Path, lock: str) -> Path:
    for name in SETUP_INPUTS:
        target = where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo_root / name, target)
    (where / "requirements.lock").write_text(lock)
    return where


def run_setup(checkout: Path, wheels: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}
    return subprocess.run(
        [str(checkout / "scripts" / "setup")], capture_output=True, text=True, env=env, check=False
    )


def test_a_hash_that_does_not_match_stops_the_setup_naming_the_package(
    repo_root: Path, tmp_path: Path, wheels: Path
) -> None:
    wheel = next(wheels.glob("*.whl"))
    real = hashlib.sha256(wheel.read_bytes()).hexdigest()
    wrong = ("f" if real[0] != "f" else "e") + real[1:]
    checkout = checkout_with_lock(
        repo_root, tmp_path, f"kitd-lock-probe==1.0 \\\n    --hash=sha256:{wrong}\n"
    )
    result = run_setup(checkout, wheels)
    assert result.returncode != 0
    assert "kitd-lock-probe" in result.stderr
    assert "DO NOT MATCH THE HASHES" in result.stderr
    assert "[setup] installing requirements.lock failed" in result.stderr
    assert not (checkout / ".venv" / ".kitd-setup").exists()


def test_a_package_the_lock_has_no_hash_for_is_refused(
    repo_root: Path, tmp_path: Path, wheels: Path
) -> None:
    checkout = checkout_with_lock(repo_root, tmp_path, "kitd-lock-probe==1.0\n")
    result = run_setup(checkout, wheels)
    assert result.returncode != 0
    assert "kitd-lock-probe" in result.stderr
    assert "[setup] installing requirements.lock failed" in result.stderr


def test_the_matching_hash_installs_the_package_from_the_lock(
    repo_root: Path, tmp_path: Path, wheels: Path
) -> None:
    wheel = next(wheels.glob("*.whl"))
    real = hashlib.sha256(wheel.read_bytes()).hexdigest()
    checkout = checkout_with_lock(
        repo_root, tmp_path, f"kitd-lock-probe==1.0 \\\n    --hash=sha256:{real}\n"
    )
    result = run_setup(checkout, wheels)
    # The lock step passes; this cut-down checkout has no protos/ for the steps after it.
    assert "installing requirements.lock failed" not in result.stderr
    probe = subprocess.run(
        [str(checkout / ".venv" / "bin" / "python"), "-c", "import kitd_lock_probe"], check=False
    )
    assert probe.returncode == 0

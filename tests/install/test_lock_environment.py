"""The environment is the lock: scripts/check-env names every package that differs, and the suite's own
environment (set up by scripts/setup) differs in none."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest


def check_env(repo_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(repo_root / "scripts" / "check-env"), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def lock_of_this_environment(tmp_path: Path) -> Path:
    """A lock naming exactly what is installed here, one pin per line, with a fake hash."""
    lines = [
        f"{dist.metadata['Name']}=={dist.version} \\\n    --hash=sha256:{'0' * 64}"
        for dist in metadata.distributions()
        if dist.metadata["Name"] != "kitd"
    ]
    path = tmp_path / "requirements.lock"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_suite_runs_in_exactly_the_locked_environment(repo_root: Path) -> None:
    result = check_env(repo_root)
    assert result.returncode == 0, result.stderr


def test_a_lock_equal_to_the_environment_passes(repo_root: Path, lock_of_this_environment) -> None:
    assert check_env(repo_root, "--lock", str(lock_of_this_environment)).returncode == 0


def test_another_locked_version_is_named_with_both_versions(
    repo_root: Path, lock_of_this_environment: Path
) -> None:
    pyserial = metadata.version("pyserial")
    text = lock_of_this_environment.read_text()
    lock_of_this_environment.write_text(
        re.sub(f"^pyserial=={re.escape(pyserial)} ", "pyserial==0.1 ", text, flags=re.M)
    )
    result = check_env(repo_root, "--lock", str(lock_of_this_environment))
    assert result.returncode == 1
    assert f"pyserial: locked 0.1, installed {pyserial}" in result.stderr
    assert "differs from requirements.lock in 1 package(s)" in result.stderr


def test_a_package_the_lock_lacks_is_named_and_listed_for_removal(
    repo_root: Path, lock_of_this_environment: Path
) -> None:
    lines = lock_of_this_environment.read_text().splitlines()
    kept = [
        line
        for index, line in enumerate(lines)
        if not line.startswith("pyserial==")
        and not (index > 0 and lines[index - 1].startswith("pyserial=="))
    ]
    lock_of_this_environment.write_text("\n".join(kept) + "\n")
    result = check_env(repo_root, "--lock", str(lock_of_this_environment))
    assert result.returncode == 1
    assert "pyserial: installed" in result.stderr and "not in the lock" in result.stderr
    extras = check_env(repo_root, "--lock", str(lock_of_this_environment), "--extras")
    assert extras.stdout.split() == ["pyserial"]


def test_a_missing_package_is_named(repo_root: Path, lock_of_this_environment: Path) -> None:
    with lock_of_this_environment.open("a") as lock:
        lock.write(f"not-a-kitd-package==1.0 \\\n    --hash=sha256:{'0' * 64}\n")
    result = check_env(repo_root, "--lock", str(lock_of_this_environment), "--json")
    assert json.loads(result.stdout) == {"not-a-kitd-package": ["1.0", None]}


def test_a_pin_for_another_platform_is_not_asked_for(
    repo_root: Path, lock_of_this_environment: Path
) -> None:
    with lock_of_this_environment.open("a") as lock:
        lock.write(f"pywin32==311 ; sys_platform == 'win32' \\\n    --hash=sha256:{'0' * 64}\n")
        lock.write("numpy==0.1 ; python_full_version < '3.0' \\\n")
    assert check_env(repo_root, "--lock", str(lock_of_this_environment)).returncode == 0

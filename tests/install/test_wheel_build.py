"""`pip wheel .` works from a clean checkout (the build hook generates gen/ from protos/), and the wheel
holds everything `kitd serve` needs: it starts from the wheel alone, with no checkout on its path."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.daemon import RunningDaemon, write_config
from support.wheels import build_wheel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout's files as a fresh clone has them (no gen/)."""
    checkout = tmp_path_factory.mktemp("checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo_root,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = repo_root / name
        if source.is_file():
            target = checkout / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode)
    assert not (checkout / "gen").exists()
    return build_wheel(checkout, tmp_path_factory.mktemp("dist"))


def test_the_wheel_carries_the_generated_api_the_policies_and_the_quality_model(
    wheel: Path,
) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "kit/v1/capture_service_pb2.py" in names
    assert "kit/v1/capture_service_pb2_grpc.py" in names
    assert "kitd/policy/profiles/be-eid.toml" in names
    assert "kitd/locale/catalogs/nl.po" in names  # the daemon reads its catalogs from the package
    assert any(name.startswith("kitd/quality/finger/") and name.endswith(".npz") for name in names)


def test_the_wheel_carries_the_console_its_page_and_its_command(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    for name in ("console/cli.py", "console/static/index.html", "console/static/console.js"):
        assert name in names
    assert {f"console/catalogs/{lang}.json" for lang in ("de", "en", "fr", "nl")} <= names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "kit-console = console.cli:main" in archive.read(entry_points).decode()


def test_kitd_serve_starts_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    # Outside the checkout, with the wheel's files first on the path (the dependencies come from .venv).
    env = {"PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import kit.v1, kitd; print(kitd.__file__)"],
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(site)
    daemon = RunningDaemon(write_config(tmp_path / "kit"), env=env, cwd=tmp_path).start()
    try:
        assert daemon.client.serving()
    finally:
        daemon.stop()
    assert daemon.process is not None and daemon.process.returncode == 0

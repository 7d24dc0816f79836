"""`pip wheel .` works from a clean checkout (the build hook generates gen/ from protos/), and the wheel
holds everything `kitd serve` needs: it starts from the wheel alone, with no checkout on its path. The
board's wheel (`KITD_WHEEL=board`, as scripts/wheelhouse builds it) is the same without the back office
and the test harness."""

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
def checkout(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout's files as a fresh clone has them (no gen/)."""
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
    return checkout


@pytest.fixture(scope="module")
def wheel(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a fresh clone."""
    return build_wheel(checkout, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def board_wheel(checkout: Path, wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The board's wheel, built in the same folder after the full wheel (whose build folder holds the
    back office by then), as scripts/wheelhouse builds it."""
    assert wheel.exists()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KITD_WHEEL", "board")
        return build_wheel(checkout, tmp_path_factory.mktemp("board"))


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


def entry_points_of(wheel: Path) -> str:
    archive = zipfile.ZipFile(wheel)
    name = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
    return archive.read(name).decode()


def test_the_full_wheel_carries_the_back_office_and_kitpkg(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"backoffice/opener.py", "backoffice/receiver.py", "backoffice/cli.py"} <= names
    assert "kitpkg = backoffice.cli:main" in entry_points_of(wheel)


def test_the_boards_wheel_leaves_the_back_office_kitpkg_and_the_harness_out(
    wheel: Path, board_wheel: Path
) -> None:
    full = set(zipfile.ZipFile(wheel).namelist())
    board = set(zipfile.ZipFile(board_wheel).namelist())
    assert not any(name.startswith(("backoffice/", "kitharness/")) for name in board)
    assert "kitpkg" not in entry_points_of(board_wheel)

    # Everything else is the same: the daemon, the devices, the console, the API, the simulators.
    def files(names: set[str]) -> set[str]:
        left_off = ("backoffice/", "kitharness/")
        return {n for n in names if ".dist-info/" not in n and not n.startswith(left_off)}

    assert files(board) == files(full)
    assert "kitd = kitd.cli.daemon:main" in entry_points_of(board_wheel)


def test_a_wheel_kind_the_build_does_not_know_stops_it_naming_the_kinds(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITD_WHEEL", "bord")
    with pytest.raises(subprocess.CalledProcessError) as failed:
        build_wheel(checkout, tmp_path)
    assert "KITD_WHEEL='bord' names no wheel" in failed.value.stderr.decode()
    assert list(tmp_path.glob("*.whl")) == []

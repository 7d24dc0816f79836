"""The systemd unit is valid (systemd-analyze verify, when available) and keeps its hardening."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def unit(repo_root: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(repo_root / "systemd" / "kitd.service")
    return parser


def test_unit_is_notify_type_with_watchdog_and_runtime_directory(repo_root: Path) -> None:
    service = unit(repo_root)["Service"]
    assert service["Type"] == "notify"
    assert service["WatchdogSec"]
    assert service["RuntimeDirectory"] == "kitd"
    assert service["RuntimeDirectoryMode"] == "0750"
    assert service["User"] == "kitd"


def test_unit_keeps_its_hardening(repo_root: Path) -> None:
    service = unit(repo_root)["Service"]
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    assert service["NoNewPrivileges"] == "yes"
    assert service["DevicePolicy"] == "closed"
    assert "/var/lib/kitd" in service["ReadWritePaths"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_accepts_the_unit(repo_root: Path, tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this checkout's interpreter.
    text = (repo_root / "systemd" / "kitd.service").read_text()
    text = text.replace("/usr/bin/kitd", f"{sys.executable} -m kitd.cli.daemon")
    target = tmp_path / "kitd.service"
    target.write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "kitd.service" not in result.stderr, result.stderr


def test_state_directory_modes_agree_with_what_kitd_serve_demands(repo_root: Path) -> None:
    from kitd.state_dir import PRIVATE_MODE, PRIVATE_SUBDIRS

    service = unit(repo_root)["Service"]
    assert service["StateDirectory"] == "kitd"
    assert int(service["StateDirectoryMode"], 8) == PRIVATE_MODE
    lines = (repo_root / "systemd" / "kitd.tmpfiles.conf").read_text().splitlines()
    modes = {f.split()[1]: int(f.split()[2], 8) for f in lines if f.startswith("d ")}
    for folder in ("", *PRIVATE_SUBDIRS):
        assert modes["/var/lib/kitd" + (f"/{folder}" if folder else "")] == PRIVATE_MODE

"""kit-selftest against the real simulators, directly on the HAL: a healthy kit passes and every check is
reported; each injected fault fails the right check with the right hint."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from selftest_kit import (
    outbox_with_package_aged,
    self_signed,
)

from kitd.cli.selftest import main
from kitsim.harness import SimulatorSet
from support.daemon import write_config

CAMERA_CHECKS = {
    "camera.present",
    "camera.frame_rate",
    "camera.resolution",
    "camera.exposure",
    "camera.sharpness",
    "camera.grey_balance",
}
PAD_CHECKS = {
    "signature_pad.present",
    "signature_pad.ping_latency",
    "signature_pad.screen_upload",
    "signature_pad.corners",
    "signature_pad.pen_rate",
    "signature_pad.clock_drift",
}
FINGERPRINT_CHECKS = {
    "fingerprint.present",
    "fingerprint.link_speed",
    "fingerprint.platen_clean",
    "fingerprint.dynamic_range",
    "fingerprint.noise",
    "fingerprint.finger_detection",
    "fingerprint.image_size",
    "fingerprint.resolution",
}
KIT_CHECKS = {
    "kit.key",
    "kit.certificates",
    "outbox.backlog",
    "outbox.oldest",
    "outbox.expired",
    "outbox.held",
    "disk.free",
    "clock.sync",
    "daemon.health",
}
JSON_FIELDS = {"id", "title", "verdict", "value", "unit", "limit", "hint"}


def run_selftest(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["--json", *argv])
    document = json.loads(capsys.readouterr().out)
    return code, document


def checks_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in document["checks"]}


def device_config(tmp_path: Path, sims: SimulatorSet, *names: str, extra: str = "") -> Path:
    return write_config(tmp_path, {n: sims.sources[n] for n in names}, extra)


def run_device_selftest(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sims: SimulatorSet,
    sim_dir: Path,
    device: str,
) -> tuple[int, dict[str, Any]]:
    """`kit-selftest --direct` on one simulated device, the technician played through `sim_dir`."""
    config = device_config(tmp_path, sims, device)
    return run_selftest(
        capsys, "--config", str(config), "--direct", "--sim-dir", str(sim_dir), "--device", device
    )


def test_healthy_camera_and_pad_pass_and_every_check_is_in_the_json(
    tmp_path: Path, sims: SimulatorSet, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = device_config(tmp_path, sims, "camera", "signature_pad")
    code, document = run_selftest(
        capsys,
        "--config",
        str(config),
        "--direct",
        "--sim-dir",
        str(sim_dir),
        "--device",
        "camera",
        "--device",
        "signature_pad",
    )
    checks = checks_of(document)
    assert set(checks) == CAMERA_CHECKS | PAD_CHECKS
    assert all(c["verdict"] == "pass" for c in checks.values()), checks
    assert all(set(c) == JSON_FIELDS for c in document["checks"])
    assert (code, document["overall"], document["exit_code"], document["mode"]) == (
        0,
        "pass",
        0,
        "direct",
    )


def test_healthy_kit_exits_0_with_every_check_in_the_json(
    tmp_path: Path, sims: SimulatorSet, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document = run_selftest(capsys, "--sim", "--sim-dir", str(tmp_path / "sim"))
    checks = checks_of(document)
    assert set(checks) == CAMERA_CHECKS | PAD_CHECKS | FINGERPRINT_CHECKS | KIT_CHECKS
    assert not [c for c in checks.values() if c["verdict"] in ("fail", "warn")]
    assert code == 0


def test_kit_checks_pass_on_a_fresh_kit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    _, document = run_selftest(capsys, "--config", str(config), "--direct")
    checks = checks_of(document)
    assert set(checks) >= KIT_CHECKS
    verdicts = {i: checks[i]["verdict"] for i in KIT_CHECKS - {"daemon.health"}}
    assert set(verdicts.values()) <= {"pass", "skipped"}, verdicts


def test_dark_camera_fails_exposure_with_the_light_hint(
    tmp_path: Path, sims: SimulatorSet, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sims.control("camera", "scene", exposure=-3.0)
    code, document = run_device_selftest(capsys, tmp_path, sims, sim_dir, "camera")
    exposure = checks_of(document)["camera.exposure"]
    assert exposure["verdict"] == "fail"
    assert "too dark" in exposure["hint"] and "light" in exposure["hint"]
    assert code == 2


def test_dirty_platen_fails_platen_clean_with_the_cleaning_hint(
    tmp_path: Path, sims: SimulatorSet, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sims.control("fingerprint", "platen", residue=True)
    code, document = run_device_selftest(capsys, tmp_path, sims, sim_dir, "fingerprint")
    platen = checks_of(document)["fingerprint.platen_clean"]
    assert platen["verdict"] == "fail"
    assert "Clean the glass" in platen["hint"]
    assert code == 2


def test_slow_pen_link_fails_the_pen_rate_with_the_link_hint(
    tmp_path: Path, sims: SimulatorSet, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sims.control("signature_pad", "fault", kind="slow", bytes_per_s=1200)
    code, document = run_device_selftest(capsys, tmp_path, sims, sim_dir, "signature_pad")
    rate = checks_of(document)["signature_pad.pen_rate"]
    assert rate["verdict"] == "fail"
    assert rate["value"] < 120
    assert "pen reports per second" in rate["hint"] and "cable" in rate["hint"]
    assert code == 2


def test_unplugged_device_fails_presence_and_skips_its_checks(
    tmp_path: Path, sims: SimulatorSet, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sims.control("camera", "unplug")
    config = device_config(tmp_path, sims, "camera")
    code, document = run_selftest(capsys, "--config", str(config), "--direct", "--device", "camera")
    checks = checks_of(document)
    assert checks["camera.present"]["verdict"] == "fail"
    assert "not connected" in checks["camera.present"]["hint"]
    assert {checks[i]["verdict"] for i in CAMERA_CHECKS - {"camera.present"}} == {"skipped"}
    assert code == 2


def test_unconfigured_device_fails_presence_naming_the_configuration_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    _, document = run_selftest(capsys, "--config", str(config), "--direct")
    present = checks_of(document)["signature_pad.present"]
    assert present["verdict"] == "fail"
    assert "[devices.signature_pad]" in present["hint"]


def test_expired_certificate_fails_with_the_renewal_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = dt.datetime.now(dt.UTC)
    tls = tmp_path / "tls"
    tls.mkdir()
    cert, key = self_signed(
        tls, "kit-client", now - dt.timedelta(days=400), now - dt.timedelta(days=3)
    )
    ca, _ = self_signed(
        tls, "back-office-ca", now - dt.timedelta(days=10), now + dt.timedelta(days=900)
    )
    extra = (
        "\n[outbox]\n"
        'receiver_url = "https://127.0.0.1:9"\n'
        f'client_cert = "{cert}"\nclient_key = "{key}"\nca_cert = "{ca}"\n'
    )
    config = write_config(tmp_path, extra=extra)
    code, document = run_selftest(capsys, "--config", str(config), "--direct")
    certificates = checks_of(document)["kit.certificates"]
    assert certificates["verdict"] == "fail"
    assert "outbox.client_cert" in certificates["hint"]
    assert "expired" in certificates["hint"] and "renewed certificate" in certificates["hint"]
    assert certificates["value"] < 0
    assert code == 2


def test_package_near_the_retention_ceiling_fails_outbox_oldest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox_with_package_aged(tmp_path / "state", days=85)
    config = write_config(tmp_path, extra="\n[outbox]\nretention_days = 90\n")
    _, document = run_selftest(capsys, "--config", str(config), "--direct")
    checks = checks_of(document)
    oldest = checks["outbox.oldest"]
    assert oldest["verdict"] == "fail"
    assert oldest["value"] > 90
    assert "deleted unsent in 5 days" in oldest["hint"] and "outbox.receiver_url" in oldest["hint"]
    assert checks["outbox.backlog"]["value"] == 1


def test_package_past_retention_fails_outbox_expired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox_with_package_aged(tmp_path / "state", days=95, retention_days=90)
    config = write_config(tmp_path, extra="\n[outbox]\nretention_days = 90\n")
    _, document = run_selftest(capsys, "--config", str(config), "--direct")
    expired = checks_of(document)["outbox.expired"]
    assert expired["verdict"] == "fail"
    assert expired["value"] == 1
    assert "must be redone" in expired["hint"]


def test_a_package_dated_past_retention_but_new_on_the_kit_is_held_not_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox_with_package_aged(tmp_path / "state", days=95, retention_days=90, stored_now=True)
    config = write_config(tmp_path, extra="\n[outbox]\nretention_days = 90\n")
    _, document = run_selftest(capsys, "--config", str(config), "--direct")
    checks = checks_of(document)
    assert checks["outbox.expired"]["verdict"] == "pass"
    held = checks["outbox.held"]
    assert held["verdict"] == "warn"
    assert held["value"] == 1
    assert "never deletes them" in held["hint"]


def test_low_disk_fails_with_the_free_space_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, extra="\n[outbox]\nmin_free_mb = 1000000000\n")
    code, document = run_selftest(capsys, "--config", str(config), "--direct")
    disk = checks_of(document)["disk.free"]
    assert disk["verdict"] == "fail"
    assert "kitd refuses a visit" in disk["hint"]
    assert code == 2


def test_missing_configuration_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KITD_CONFIG", raising=False)
    assert main(["--config", str(tmp_path / "absent.toml")]) == 3


def test_html_report_inlines_the_pictures(
    tmp_path: Path, sims: SimulatorSet, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = device_config(tmp_path, sims, "camera", "signature_pad")
    report = tmp_path / "report.html"
    main(
        [
            "--config",
            str(config),
            "--direct",
            "--sim-dir",
            str(sim_dir),
            "--device",
            "camera",
            "--device",
            "signature_pad",
            "--html",
            str(report),
        ]
    )
    page = report.read_text()
    assert page.count("data:image/jpeg;base64,") == 2  # the scene and the chart with its overlay
    assert page.count("data:image/png;base64,") == 1  # the corner taps
    assert "camera.sharpness" in page and "signature_pad.corners" in page
    assert "http" not in page.replace("http-equiv", "")

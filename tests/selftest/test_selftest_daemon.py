"""kit-selftest through the real daemon: the checks run in kitd (which holds the devices), the CLI shows
the stream and answers the prompts on the simulators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit.v1 import device_service_pb2 as pb
from kitd.cli.selftest import main
from kitsim.harness import SimulatorSet
from support.daemon import RunningDaemon, write_config


def test_selftest_runs_in_the_daemon_when_it_serves(
    tmp_path: Path, sims: SimulatorSet, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    devices = {name: sims.sources[name] for name in ("camera", "signature_pad")}
    config = write_config(tmp_path, devices)
    with RunningDaemon(config):
        code = main(
            [
                "--config",
                str(config),
                "--json",
                "--sim-dir",
                str(sim_dir),
                "--device",
                "camera",
                "--device",
                "signature_pad",
            ]
        )
    document = json.loads(capsys.readouterr().out)
    assert document["mode"] == "daemon"
    assert {c["verdict"] for c in document["checks"]} == {"pass"}, document["checks"]
    assert code == 0


def test_run_self_test_streams_progress_checks_then_the_report(
    tmp_path: Path, sims: SimulatorSet
) -> None:
    config = write_config(tmp_path)
    with RunningDaemon(config) as daemon:
        client = daemon.client
        responses = list(
            client.devices.RunSelfTest(
                pb.RunSelfTestRequest(), metadata=client.metadata, timeout=60
            )
        )
    kinds = [r.WhichOneof("item") for r in responses]
    checks = [r.check for r in responses if r.HasField("check")]
    report = responses[-1].report
    assert kinds[0] == "progress" and kinds[-1] == "report"
    assert [c.id for c in report.checks] == [c.id for c in checks]
    health = next(c for c in checks if c.id == "daemon.health")
    assert health.verdict == pb.SELF_TEST_VERDICT_PASS
    # No device is configured: the report fails, naming the missing devices.
    assert report.overall == pb.SELF_TEST_VERDICT_FAIL
    assert {c.id for c in checks if c.verdict == pb.SELF_TEST_VERDICT_FAIL} == {
        "camera.present",
        "fingerprint.present",
        "signature_pad.present",
    }

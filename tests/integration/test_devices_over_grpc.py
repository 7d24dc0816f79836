"""The daemon against the simulators over gRPC: devices, identity, unplug and replug, kitctl."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.v1 import device_service_pb2 as dpb
from kit.v1 import types_pb2
from support.kit import ALL_DEVICES, KitUnderTest

# Generous bounds so a loaded CI machine does not flake; ./scripts/bench measures the real latencies.
UNPLUG_SEEN = 5.0
REPLUG_SEEN = 10.0


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KitUnderTest]:
    with KitUnderTest(tmp_path_factory.mktemp("kit")) as running:
        yield running


def test_three_devices_are_ready_with_the_simulators_identity(kit: KitUnderTest) -> None:
    client = kit.client
    devices = {
        d.id: d
        for d in client.devices.ListDevices(
            dpb.ListDevicesRequest(), metadata=client.metadata, timeout=5
        ).devices
    }
    assert set(devices) == set(ALL_DEVICES)
    for name in ALL_DEVICES:
        device = devices[name]
        identity = kit.ctl(name, "identity")
        assert device.state == types_pb2.DEVICE_STATE_READY
        assert device.model == identity["model"]
        assert device.serial == identity["serial"]
        assert device.firmware == identity["firmware"]
        assert device.source == kit.sims.sources[name]


@pytest.mark.parametrize("name", ALL_DEVICES)
def test_unplug_is_seen_by_a_watcher_and_replug_makes_it_ready_again(
    kit: KitUnderTest, name: str
) -> None:
    assert kit.watch is not None
    kit.ctl(name, "unplug")
    try:
        assert kit.watch.wait(name, "absent", UNPLUG_SEEN)
        device = kit.client.devices.GetDevice(
            dpb.GetDeviceRequest(device_id=name), metadata=kit.client.metadata, timeout=5
        ).device
        assert device.detail  # says why, for the operator
        # ... and as a code an app words itself, without reading the daemon's English.
        assert device.cause == types_pb2.DEVICE_REASON_UNPLUGGED
    finally:
        kit.ctl(name, "replug")
    assert kit.watch.wait(name, "ready", REPLUG_SEEN)
    device = kit.client.devices.GetDevice(
        dpb.GetDeviceRequest(device_id=name), metadata=kit.client.metadata, timeout=5
    ).device
    assert device.cause == types_pb2.DEVICE_REASON_UNSPECIFIED and not device.detail
    codes = [event.reason_code for event in kit.watch.events if event.device.id == name]
    assert types_pb2.DEVICE_REASON_UNPLUGGED in codes
    back = [e for e in kit.watch.events if e.device.id == name][-1]
    assert back.reason_code in (types_pb2.DEVICE_REASON_BOUND, types_pb2.DEVICE_REASON_REBOUND)
    assert (back.rebind_attempts > 1) == (back.reason_code == types_pb2.DEVICE_REASON_REBOUND)


def test_kitctl_devices_json_lists_kind_state_model_serial_firmware(kit: KitUnderTest) -> None:
    result = kit.kitctl("devices", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["id"] for r in rows} == set(ALL_DEVICES)
    for row in rows:
        assert {"kind", "state", "model", "serial", "firmware"} <= set(row)
        assert row["state"] == "ready"


def test_kitctl_health_says_serving(kit: KitUnderTest) -> None:
    result = kit.kitctl("health")
    assert result.returncode == 0
    assert result.stdout.strip() == "SERVING"


def test_kitctl_without_a_daemon_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kitd.cli.kitctl",
            "--socket",
            str(tmp_path / "none.sock"),
            "--token-file",
            str(tmp_path / "none"),
            "devices",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "token" in result.stderr

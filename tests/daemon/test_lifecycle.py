"""The daemon process: socket and token, authentication, health, stopping, one daemon per socket."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2

from kit.v1 import device_service_pb2 as dpb
from support.daemon import RunningDaemon, write_config


@pytest.fixture
def daemon(tmp_path: Path):
    with RunningDaemon(write_config(tmp_path)) as running:
        yield running


def test_socket_directory_socket_and_token_have_tight_modes(daemon: RunningDaemon) -> None:
    endpoint = daemon.endpoint
    assert stat.S_IMODE(endpoint.socket.parent.stat().st_mode) == 0o750
    assert stat.S_ISSOCK(endpoint.socket.stat().st_mode)
    assert stat.S_IMODE(endpoint.socket.stat().st_mode) == 0o660
    assert stat.S_IMODE(endpoint.token_file.stat().st_mode) == 0o600


def test_health_answers_serving_without_a_token(daemon: RunningDaemon) -> None:
    channel = grpc.insecure_channel(f"unix:{daemon.endpoint.socket}")
    from grpc_health.v1 import health_pb2_grpc

    response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)  # type: ignore[attr-defined]
    assert response.status == health_pb2.HealthCheckResponse.SERVING
    channel.close()


def test_call_without_token_is_unauthenticated(daemon: RunningDaemon) -> None:
    stub = daemon.client.devices
    with pytest.raises(grpc.RpcError) as caught:
        stub.ListDevices(dpb.ListDevicesRequest(), timeout=5)
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "token" in caught.value.details()


def test_call_with_wrong_token_is_unauthenticated(daemon: RunningDaemon) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        daemon.client.devices.ListDevices(
            dpb.ListDevicesRequest(), metadata=(("authorization", "Bearer wrong"),), timeout=5
        )
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_call_with_token_is_served(daemon: RunningDaemon) -> None:
    client = daemon.client
    info = client.devices.GetKitInfo(dpb.GetKitInfoRequest(), metadata=client.metadata, timeout=5)
    assert info.kit_id == "TEST-KIT"
    assert info.api_version == "kit.v1"


def test_kit_info_lists_the_document_profiles(daemon: RunningDaemon) -> None:
    client = daemon.client
    info = client.devices.GetKitInfo(dpb.GetKitInfoRequest(), metadata=client.metadata, timeout=5)
    profiles = {p.id: p for p in info.profiles}
    assert {"be-eid", "be-kids-id", "be-eid-delivery"} <= set(profiles)
    assert profiles["be-eid"].policy_id == "be-eid"
    assert profiles["be-eid"].policy_version
    assert profiles["be-eid"].title


def test_unknown_device_is_not_found_with_reason(daemon: RunningDaemon) -> None:
    client = daemon.client
    with pytest.raises(grpc.RpcError) as caught:
        client.devices.GetDevice(
            dpb.GetDeviceRequest(device_id="toaster"), metadata=client.metadata, timeout=5
        )
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert "toaster" in caught.value.details()
    from grpc_status import rpc_status

    status = rpc_status.from_call(caught.value)  # type: ignore[arg-type]
    assert status is not None
    from google.rpc import error_details_pb2

    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert info.reason == "ERROR_REASON_DEVICE_NOT_FOUND"
    assert info.domain == "kit.v1"


def test_sigterm_ends_streams_announces_stopping_exits_0_and_removes_socket(tmp_path: Path) -> None:
    daemon = RunningDaemon(write_config(tmp_path)).start()
    client = daemon.client
    stream = client.devices.WatchDeviceEvents(
        dpb.WatchDeviceEventsRequest(include_current=True), metadata=client.metadata
    )
    ended = threading.Event()
    codes: list[grpc.StatusCode] = []

    def consume() -> None:
        try:
            for _ in stream:
                pass
        except grpc.RpcError as exc:
            codes.append(exc.code())
        ended.set()

    stream.initial_metadata()  # the watch is established on the daemon's side
    threading.Thread(target=consume, daemon=True).start()
    assert daemon.terminate(timeout=5) == 0
    assert ended.wait(5)
    assert codes == [grpc.StatusCode.UNAVAILABLE]
    assert daemon.notify.wait_for("STOPPING=1", 1)
    assert not daemon.endpoint.socket.exists()
    daemon.stop()


def test_second_daemon_on_a_live_socket_refuses_to_start(
    daemon: RunningDaemon, tmp_path: Path
) -> None:
    # Its own state directory, the first daemon's socket.
    other = tmp_path / "other"
    config = write_config(other)
    config.write_text(
        config.read_text().replace(str(other / "run" / "kitd.sock"), str(daemon.endpoint.socket))
    )
    result = subprocess.run(
        [sys.executable, "-m", "kitd.cli.daemon", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "already serving" in result.stderr
    assert daemon.client.serving()


def test_second_daemon_on_the_same_state_dir_exits_2_naming_the_first(
    daemon: RunningDaemon, tmp_path: Path
) -> None:
    # Its own socket, the first daemon's state directory: two visits and one audit chain.
    config = tmp_path / "second.toml"
    config.write_text(
        daemon.config.read_text().replace(
            str(tmp_path / "run" / "kitd.sock"), str(tmp_path / "run2" / "kitd.sock")
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "kitd.cli.daemon", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert daemon.process is not None
    assert result.returncode == 2
    assert f"process {daemon.process.pid}" in result.stderr
    assert not (tmp_path / "run2" / "kitd.sock").exists()
    assert daemon.client.serving()


def test_stale_socket_file_is_replaced(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    path = tmp_path / "run" / "kitd.sock"
    path.parent.mkdir(parents=True)
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(path))
    leftover.close()  # a killed daemon leaves exactly this: a socket file nobody listens on
    assert path.exists()
    with RunningDaemon(config) as daemon:
        assert daemon.client.serving()


def test_token_file_readable_by_others_stops_the_start(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    token = tmp_path / "state" / "api-token"
    token.parent.mkdir()
    token.parent.chmod(0o700)  # a private state dir: only the token is wrong
    token.write_text("secret\n")
    os.chmod(token, 0o644)
    result = subprocess.run(
        [sys.executable, "-m", "kitd.cli.daemon", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "readable by others" in result.stderr


def test_logs_are_json_lines(daemon: RunningDaemon) -> None:
    import json

    lines = [line for line in daemon.log().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert any(e["msg"] == "kitd ready" for e in entries)
    assert all({"ts", "level", "logger", "msg"} <= set(e) for e in entries)


def test_watchdog_keepalives_are_sent_when_systemd_asks(tmp_path: Path) -> None:
    env = {"WATCHDOG_USEC": "400000"}
    with RunningDaemon(write_config(tmp_path), env=env) as daemon:
        assert daemon.notify.wait_for("WATCHDOG=1", 5)

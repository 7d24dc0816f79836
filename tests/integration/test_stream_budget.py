"""Open streams can never starve the daemon: with `api.workers = 8`, streams hold at most 4 threads in
all and 2 per method; a stream beyond the cap is refused at once with RESOURCE_EXHAUSTED and a typed,
translated reason, while unary calls and health checks still answer. Before, 16 `Health.Watch` streams
(no token needed) or 15 device watches made every other call time out until they closed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_status import rpc_status

from kit.v1 import device_service_pb2 as dpb
from kitd.client import KitClient
from support.daemon import RunningDaemon, write_config


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[RunningDaemon]:
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("[api]\n", "[api]\nworkers = 8\n"))
    with RunningDaemon(config) as running:
        yield running


def health_watch(client: KitClient) -> Any:
    """An open Health.Watch stream, its first answer read (so the server holds it)."""
    stream = client.health.Watch(health_pb2.HealthCheckRequest(), timeout=60)
    next(stream)
    return stream


def device_watch(client: KitClient) -> Any:
    stream = client.devices.WatchDeviceEvents(
        dpb.WatchDeviceEventsRequest(include_current=False), metadata=client.metadata, timeout=60
    )
    return stream


def refusal(stream: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        next(stream)
    return caught.value


def reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return str(info.reason)


def answers_unary(client: KitClient) -> None:
    client.devices.ListDevices(dpb.ListDevicesRequest(), metadata=client.metadata, timeout=5)
    checked = client.health.Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert checked.status == health_pb2.HealthCheckResponse.SERVING


def test_a_stream_beyond_its_methods_cap_is_refused_and_unary_calls_still_answer(
    daemon: RunningDaemon,
) -> None:
    client = daemon.client
    held = [health_watch(client), health_watch(client)]
    error = refusal(client.health.Watch(health_pb2.HealthCheckRequest(), timeout=10))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason(error) == "ERROR_REASON_TOO_MANY_STREAMS"
    assert "Watch" in (error.details() or "")
    answers_unary(client)
    for stream in held:
        stream.cancel()


def test_streams_of_all_kinds_together_leave_threads_for_unary_calls(
    daemon: RunningDaemon,
) -> None:
    client = daemon.client
    held = [health_watch(client), health_watch(client)]
    watches = [device_watch(client), device_watch(client)]
    # The device watches are open once the daemon counts them; a fifth stream of any kind is refused.
    for watch in watches:
        assert watch.initial_metadata() is not None
    error = refusal(device_watch(KitClient(daemon.endpoint)))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    answers_unary(client)
    for stream in (*held, *watches):
        stream.cancel()


def test_the_refusal_is_in_the_callers_language(daemon: RunningDaemon) -> None:
    client = daemon.client
    held = [health_watch(client), health_watch(client)]
    error = refusal(
        client.health.Watch(
            health_pb2.HealthCheckRequest(), metadata=(("accept-language", "nl"),), timeout=10
        )
    )
    assert "te veel streams" in (error.details() or "")
    for stream in held:
        stream.cancel()

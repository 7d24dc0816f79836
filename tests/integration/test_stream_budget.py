"""Open streams can never starve the daemon: with the default 16 workers, watching streams (health and
device watches, self-tests) hold at most 8 threads and 4 per method, the visit's streams keep slots of
their own, and 4 threads always remain for unary calls. A stream beyond a cap is refused at once with
RESOURCE_EXHAUSTED and a typed, translated reason. Before, 16 `Health.Watch` streams (no token needed)
or 15 device watches made every other call time out until they closed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_status import rpc_status

from kit.v1 import capture_service_pb2 as cpb
from kit.v1 import device_service_pb2 as dpb
from kitd.client import KitClient
from support.kit import KitUnderTest
from support.visit import Visit

WATCH_PER_METHOD = 4


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[KitUnderTest]:
    with KitUnderTest(tmp_path, devices=("camera",)) as running:
        yield running


def health_watch(client: KitClient, language: str = "en") -> Any:
    return client.health.Watch(
        health_pb2.HealthCheckRequest(), metadata=(("accept-language", language),), timeout=60
    )


def device_watch(client: KitClient) -> Any:
    return client.devices.WatchDeviceEvents(
        dpb.WatchDeviceEventsRequest(include_current=True), metadata=client.metadata, timeout=60
    )


def served(stream: Any) -> Any:
    """The stream, its first answer read: the server holds it open."""
    next(stream)
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


def test_a_watch_beyond_its_methods_cap_is_refused_and_unary_calls_still_answer(
    kit: KitUnderTest,
) -> None:
    client = kit.client
    held = [served(health_watch(client)) for _ in range(WATCH_PER_METHOD)]
    error = refusal(health_watch(client))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason(error) == "ERROR_REASON_TOO_MANY_STREAMS"
    assert "Watch" in (error.details() or "")
    answers_unary(client)
    for stream in held:
        stream.cancel()


def test_watchers_of_every_kind_never_take_the_visits_streams(kit: KitUnderTest) -> None:
    client = kit.client
    held = [served(health_watch(client)) for _ in range(WATCH_PER_METHOD)]
    # The kit under test already watches devices once.
    held += [served(device_watch(client)) for _ in range(WATCH_PER_METHOD - 1)]
    assert refusal(device_watch(client)).code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    self_test = client.devices.RunSelfTest(
        dpb.RunSelfTestRequest(), metadata=client.metadata, timeout=30
    )
    assert refusal(self_test).code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    visit = Visit(kit, "be-kids-id", 6)
    preview = client.capture.StreamFacePreview(
        cpb.StreamFacePreviewRequest(session_id=visit.id, max_size=160),
        metadata=client.metadata,
        timeout=30,
    )
    assert next(preview).HasField("frame")  # a first frame: the preview is served
    preview.cancel()
    answers_unary(client)
    visit.cancel()
    for stream in held:
        stream.cancel()


def test_the_refusal_is_in_the_callers_language(kit: KitUnderTest) -> None:
    client = kit.client
    held = [served(health_watch(client)) for _ in range(WATCH_PER_METHOD)]
    error = refusal(health_watch(client, "nl"))
    assert "te veel streams" in (error.details() or "")
    for stream in held:
        stream.cancel()

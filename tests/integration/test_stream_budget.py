"""Open streams can never starve the daemon: every streaming method has a cap of its own and threads of
its own, one caller has a cap per method too, and health answers whatever the others hold. A stream
beyond a cap is refused at once with RESOURCE_EXHAUSTED and a typed reason naming the cap, in the
caller's language. Before, 16 `Health.Watch` streams (no token needed) or 15 device watches made every
other call time out until they closed; then one method's crowd could take every caller's slots."""

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

PER_METHOD = 3
PER_CALLER = 2


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[KitUnderTest]:
    caps = {"streams_per_method": PER_METHOD, "streams_per_caller": PER_CALLER}
    with KitUnderTest(tmp_path, devices=("camera",), api=caps) as running:
        yield running


def health_watch(client: KitClient, *, token: bool = False, language: str = "en") -> Any:
    metadata = (("accept-language", language), *(client.metadata if token else ()))
    return client.health.Watch(health_pb2.HealthCheckRequest(), metadata=metadata, timeout=60)


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


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return info


def answers_unary(client: KitClient) -> None:
    client.devices.ListDevices(dpb.ListDevicesRequest(), metadata=client.metadata, timeout=5)
    checked = client.health.Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert checked.status == health_pb2.HealthCheckResponse.SERVING


def test_a_stream_beyond_its_methods_cap_is_refused_and_unary_calls_still_answer(
    kit: KitUnderTest,
) -> None:
    client = kit.client
    held = [served(health_watch(client)) for _ in range(PER_CALLER)]
    held.append(served(health_watch(client, token=True)))
    error = refusal(health_watch(client, token=True))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    info = error_info(error)
    assert info.reason == "ERROR_REASON_TOO_MANY_STREAMS"
    assert dict(info.metadata) == {"method": "Watch", "limit": str(PER_METHOD)}
    answers_unary(client)
    for stream in held:
        stream.cancel()


def test_a_caller_beyond_its_cap_is_refused_naming_it_while_another_caller_is_served(
    kit: KitUnderTest,
) -> None:
    client = kit.client
    held = [served(health_watch(client)) for _ in range(PER_CALLER)]
    error = refusal(health_watch(client))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    info = error_info(error)
    assert info.reason == "ERROR_REASON_TOO_MANY_STREAMS_OF_CALLER"
    assert info.metadata["caller"] == "anonymous"
    assert info.metadata["limit"] == str(PER_CALLER)
    assert "callers without a token" in (error.details() or "")
    held.append(served(health_watch(client, token=True)))  # the token holder still has room
    for stream in held:
        stream.cancel()


def test_the_token_holders_device_watches_are_capped_as_one_caller(kit: KitUnderTest) -> None:
    client = kit.client
    # The kit under test already watches devices once, with the token.
    held = [served(device_watch(client)) for _ in range(PER_CALLER - 1)]
    error = refusal(device_watch(client))
    assert error_info(error).reason == "ERROR_REASON_TOO_MANY_STREAMS_OF_CALLER"
    assert error_info(error).metadata["caller"] == "token"
    for stream in held:
        stream.cancel()
    held = [served(device_watch(client))]  # a slot given back is taken again
    for stream in held:
        stream.cancel()


def test_watchers_at_every_cap_never_take_the_visits_preview_nor_health(
    kit: KitUnderTest,
) -> None:
    client = kit.client
    held = [served(health_watch(client)) for _ in range(PER_CALLER)]
    held.append(served(health_watch(client, token=True)))
    held += [served(device_watch(client)) for _ in range(PER_CALLER - 1)]
    assert refusal(device_watch(client)).code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refusal(health_watch(client)).code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    visit = Visit(kit, "be-kids-id", 6)
    preview = client.capture.StreamFacePreview(
        cpb.StreamFacePreviewRequest(session_id=visit.id, max_size=160),
        metadata=client.metadata,
        timeout=30,
    )
    assert next(preview).HasField("frame")  # a first frame: the preview is served
    answers_unary(client)
    preview.cancel()
    visit.cancel()
    for stream in held:
        stream.cancel()


def test_the_refusals_are_in_the_callers_language(kit: KitUnderTest) -> None:
    client = kit.client
    held = [served(health_watch(client)) for _ in range(PER_CALLER)]
    of_caller = refusal(health_watch(client, language="nl"))
    assert "aanroepers zonder token" in (of_caller.details() or "")
    held.append(served(health_watch(client, token=True)))
    of_method = refusal(health_watch(client, token=True, language="nl"))
    assert "te veel streams" in (of_method.details() or "")
    for stream in held:
        stream.cancel()


def test_a_health_check_tells_the_held_packages(kit: KitUnderTest) -> None:
    _, call = kit.client.health.Check.with_call(health_pb2.HealthCheckRequest(), timeout=5)
    assert dict(call.trailing_metadata())["kit-held-packages"] == "0"

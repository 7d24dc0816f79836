"""An unexpected exception in a servicer reaches the caller as INTERNAL with an error id, never UNKNOWN.

A real gRPC server on a Unix socket with the daemon's interceptors, serving kit.v1 methods whose
behaviour fails the way a bug would: at once, and half way through a response stream.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from kit.v1 import device_service_pb2 as dpb
from kit.v1 import types_pb2
from kitd.server.internal_errors import InternalErrorInterceptor
from kitd.server.request_validation import RequestValidationInterceptor


def failing_kit_info(request: dpb.GetKitInfoRequest, context: grpc.ServicerContext) -> Any:
    raise KeyError("a bug")


def failing_events(
    request: dpb.WatchDeviceEventsRequest, context: grpc.ServicerContext
) -> Iterator[dpb.WatchDeviceEventsResponse]:
    yield dpb.WatchDeviceEventsResponse(event=types_pb2.DeviceEvent(sequence=1))
    raise ZeroDivisionError("a bug half way")


def deliberate_not_found(request: dpb.GetDeviceRequest, context: grpc.ServicerContext) -> Any:
    context.abort(grpc.StatusCode.NOT_FOUND, "no such device")


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[grpc.Channel]:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        interceptors=[InternalErrorInterceptor(), RequestValidationInterceptor()],
    )
    handlers = {
        "GetKitInfo": grpc.unary_unary_rpc_method_handler(
            failing_kit_info,
            dpb.GetKitInfoRequest.FromString,
            dpb.GetKitInfoResponse.SerializeToString,
        ),
        "WatchDeviceEvents": grpc.unary_stream_rpc_method_handler(
            failing_events,
            dpb.WatchDeviceEventsRequest.FromString,
            dpb.WatchDeviceEventsResponse.SerializeToString,
        ),
        "GetDevice": grpc.unary_unary_rpc_method_handler(
            deliberate_not_found,
            dpb.GetDeviceRequest.FromString,
            dpb.GetDeviceResponse.SerializeToString,
        ),
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("kit.v1.DeviceService", handlers),)
    )
    socket = tmp_path / "kitd.sock"
    server.add_insecure_port(f"unix:{socket}")
    server.start()
    with grpc.insecure_channel(f"unix:{socket}") as channel:
        yield channel
    server.stop(None)


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return info


def unary(channel: grpc.Channel, name: str, request: Any, response: Any) -> Any:
    return channel.unary_unary(
        f"/kit.v1.DeviceService/{name}",
        request_serializer=type(request).SerializeToString,
        response_deserializer=response.FromString,
    )(request, timeout=10)


def test_an_exception_in_a_unary_call_is_internal_with_the_error_id_of_its_log_record(
    channel: grpc.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR), pytest.raises(grpc.RpcError) as caught:
        unary(channel, "GetKitInfo", dpb.GetKitInfoRequest(), dpb.GetKitInfoResponse)
    assert caught.value.code() is grpc.StatusCode.INTERNAL
    info = error_info(caught.value)
    assert info.reason == "ERROR_REASON_INTERNAL"
    error_id = info.metadata["error_id"]
    assert error_id in caught.value.details()
    assert "a bug" not in caught.value.details(), "the exception's text stays in the kit's log"
    records = [r for r in caplog.records if getattr(r, "error_id", None) == error_id]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert "Exception calling application" not in caplog.text


def test_an_exception_half_way_through_a_stream_is_internal_not_exception_iterating_responses(
    channel: grpc.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    stream = channel.unary_stream(
        "/kit.v1.DeviceService/WatchDeviceEvents",
        request_serializer=dpb.WatchDeviceEventsRequest.SerializeToString,
        response_deserializer=dpb.WatchDeviceEventsResponse.FromString,
    )
    received = []
    with caplog.at_level(logging.ERROR), pytest.raises(grpc.RpcError) as caught:
        for response in stream(dpb.WatchDeviceEventsRequest(), timeout=10):
            received.append(response)
    assert [r.event.sequence for r in received] == [1]
    assert caught.value.code() is grpc.StatusCode.INTERNAL
    error_id = error_info(caught.value).metadata["error_id"]
    assert any(getattr(r, "error_id", None) == error_id for r in caplog.records)
    assert "Exception iterating responses" not in caplog.text


def test_a_status_the_servicer_chose_passes_unchanged(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        unary(
            channel, "GetDevice", dpb.GetDeviceRequest(device_id="toaster"), dpb.GetDeviceResponse
        )
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == "no such device"

"""kit.v1.DeviceService: kit identity, devices, device events."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc

from kit.v1 import device_service_pb2 as pb
from kit.v1 import device_service_pb2_grpc as pb_grpc
from kit.v1 import types_pb2
from kitd.api import convert
from kitd.api.status import translated, translated_stream
from kitd.errors import CapabilityMissing, ShuttingDown
from kitd.kit import Kit

# How often a watch stream wakes up to notice a cancelled client or a stopping daemon.
_POLL = 0.25


class DeviceServicer(pb_grpc.DeviceServiceServicer):
    def __init__(self, kit: Kit) -> None:
        self._kit = kit

    @translated
    def GetKitInfo(
        self, request: pb.GetKitInfoRequest, context: grpc.ServicerContext
    ) -> pb.GetKitInfoResponse:
        return pb.GetKitInfoResponse(
            kit_id=self._kit.config.kit_id,
            daemon_version=self._kit.version,
            api_version="kit.v1",
            started_at=convert.timestamp(self._kit.started_at),
        )

    @translated
    def ListDevices(
        self, request: pb.ListDevicesRequest, context: grpc.ServicerContext
    ) -> pb.ListDevicesResponse:
        return pb.ListDevicesResponse(
            devices=[convert.device(s) for s in self._kit.device_statuses()]
        )

    @translated
    def GetDevice(
        self, request: pb.GetDeviceRequest, context: grpc.ServicerContext
    ) -> pb.GetDeviceResponse:
        status = self._kit.supervisor(request.device_id).status
        return pb.GetDeviceResponse(device=convert.device(status))

    @translated_stream
    def WatchDeviceEvents(
        self, request: pb.WatchDeviceEventsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchDeviceEventsResponse]:
        subscription = self._kit.watch()
        context.add_callback(subscription.close)
        # Headers go out at once, so a client knows the watch is established before any event.
        context.send_initial_metadata(())
        try:
            if request.include_current:
                for status in self._kit.device_statuses():
                    yield pb.WatchDeviceEventsResponse(
                        event=types_pb2.DeviceEvent(
                            time=convert.timestamp(time.time()),
                            device=convert.device(status),
                            previous_state=convert.DEVICE_STATES[status.state],
                            reason="current state",
                        )
                    )
            while context.is_active():
                if self._kit.stopping.is_set():
                    raise ShuttingDown("kitd is shutting down; watch again when it is back")
                event = subscription.get(timeout=_POLL)
                if event is not None:
                    yield pb.WatchDeviceEventsResponse(event=convert.device_event(event))
        finally:
            subscription.close()

    @translated_stream
    def RunSelfTest(
        self, request: pb.RunSelfTestRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.RunSelfTestResponse]:
        raise CapabilityMissing("the hardware self-test is not available in this kitd version")
        yield  # pragma: no cover - makes this a generator

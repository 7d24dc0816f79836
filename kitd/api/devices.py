"""kit.v1.DeviceService: kit identity, devices, device events; reasons in the call's language
(`accept-language`, else the kit's default).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc

from kit.v1 import device_service_pb2 as pb
from kit.v1 import device_service_pb2_grpc as pb_grpc
from kitd.api import convert
from kitd.api.languages import CallLanguages
from kitd.api.status import translated, translated_stream
from kitd.errors import ShuttingDown
from kitd.kit import Kit
from kitd.locale.catalogs import Catalogs, Texts
from kitd.locale.message import Message

# How often a watch stream wakes up to notice a cancelled client or a stopping daemon.
_POLL = 0.25


class DeviceServicer(pb_grpc.DeviceServiceServicer):
    """kit.v1.DeviceService over the kit's devices and self-test."""

    def __init__(self, kit: Kit, languages: CallLanguages | None = None) -> None:
        self._kit = kit
        self._languages = languages or CallLanguages(Catalogs.builtin())

    def error_texts(self, request: object, context: grpc.ServicerContext) -> Texts:
        return self._languages.of_call(context)

    @translated
    def GetKitInfo(
        self, request: pb.GetKitInfoRequest, context: grpc.ServicerContext
    ) -> pb.GetKitInfoResponse:
        return pb.GetKitInfoResponse(
            kit_id=self._kit.config.kit_id,
            daemon_version=self._kit.version,
            api_version="kit.v1",
            profiles=[
                pb.DocumentProfile(id=p.id, title=p.title, policy_id=p.id, policy_version=p.version)
                for p in self._kit.policies
            ],
            started_at=convert.timestamp(self._kit.started_at),
            languages=self._languages.languages,
            default_language=self._languages.default,
        )

    @translated
    def ListDevices(
        self, request: pb.ListDevicesRequest, context: grpc.ServicerContext
    ) -> pb.ListDevicesResponse:
        texts = self._languages.of_call(context)
        return pb.ListDevicesResponse(
            devices=[convert.device(s, texts) for s in self._kit.device_statuses()]
        )

    @translated
    def GetDevice(
        self, request: pb.GetDeviceRequest, context: grpc.ServicerContext
    ) -> pb.GetDeviceResponse:
        status = self._kit.supervisor(request.device_id).status
        return pb.GetDeviceResponse(device=convert.device(status, self._languages.of_call(context)))

    @translated_stream
    def WatchDeviceEvents(
        self, request: pb.WatchDeviceEventsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchDeviceEventsResponse]:
        texts = self._languages.of_call(context)
        subscription = self._kit.watch()
        context.add_callback(subscription.close)
        # Headers go out at once, so a client knows the watch is established before any event.
        context.send_initial_metadata(())
        try:
            if request.include_current:
                for status in self._kit.device_statuses():
                    yield pb.WatchDeviceEventsResponse(
                        event=convert.current_device_event(status, time.time(), texts)
                    )
            while context.is_active():
                if self._kit.stopping.is_set():
                    raise ShuttingDown(Message("error.shutting_down"))
                event = subscription.get(timeout=_POLL)
                if event is not None:
                    yield pb.WatchDeviceEventsResponse(event=convert.device_event(event, texts))
        finally:
            subscription.close()

    @translated_stream
    def RunSelfTest(
        self, request: pb.RunSelfTestRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.RunSelfTestResponse]:
        from kitd.selftest.context import DaemonState, SelfTestContext
        from kitd.selftest.device_probe import DeviceProbe
        from kitd.selftest.result import CheckResult, Mode, Progress
        from kitd.selftest.runner import SelfTest
        from kitd.selftest.suite import standard_probes
        from kitd.selftest.wire import (
            DEVICE_IDS,
            check_message,
            progress_message,
            report_message,
        )

        kit = self._kit
        selftest_context = SelfTestContext.for_kit(
            kit,
            Mode.DAEMON,
            DaemonState(serving=True, version=kit.version, started_at=kit.started_at),
            devices=frozenset(DEVICE_IDS[k] for k in request.kinds if k in DEVICE_IDS),
        )
        probes = standard_probes()
        if request.kinds:
            # Only the devices asked for; the kit checks belong to a full run.
            probes = [p for p in probes if isinstance(p, DeviceProbe)]
        for item in SelfTest(selftest_context, probes).run():
            if isinstance(item, Progress):
                yield pb.RunSelfTestResponse(progress=progress_message(item))
            elif isinstance(item, CheckResult):
                yield pb.RunSelfTestResponse(check=check_message(item))
            else:
                yield pb.RunSelfTestResponse(report=report_message(item))

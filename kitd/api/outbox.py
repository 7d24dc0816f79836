"""kit.v1.OutboxService: the sealed packages waiting for the back office."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from kit.v1 import outbox_service_pb2 as pb
from kit.v1 import outbox_service_pb2_grpc as pb_grpc
from kitd.api import convert
from kitd.api.languages import CallLanguages
from kitd.api.status import translated
from kitd.clock.trusted import ClockState
from kitd.locale.catalogs import Catalogs, Texts
from kitd.outbox.outbox import Outbox
from kitd.outbox.uploader import Uploader

FLUSH_WAIT_S = 5.0


class OutboxServicer(pb_grpc.OutboxServiceServicer):
    """kit.v1.OutboxService over the outbox and its uploader; its errors are in the language the
    call's accept-language asks for.
    """

    def __init__(
        self,
        outbox: Outbox,
        uploader: Uploader,
        languages: CallLanguages | None = None,
        clock_state: Callable[[], ClockState] | None = None,
    ) -> None:
        self._clock_state = clock_state
        self._outbox = outbox
        self._uploader = uploader
        self._languages = languages or CallLanguages(Catalogs.builtin())

    def error_texts(self, request: object, context: grpc.ServicerContext) -> Texts:
        return self._languages.of_call(context)

    @translated
    def ListPackages(
        self, request: pb.ListPackagesRequest, context: grpc.ServicerContext
    ) -> pb.ListPackagesResponse:
        states = tuple(
            convert.PACKAGE_STATES_OF_PROTO[s]
            for s in request.states
            if s in convert.PACKAGE_STATES_OF_PROTO
        )
        return pb.ListPackagesResponse(
            packages=[convert.package_message(p) for p in self._outbox.packages(states)]
        )

    @translated
    def GetOutboxStatus(
        self, request: pb.GetOutboxStatusRequest, context: grpc.ServicerContext
    ) -> pb.GetOutboxStatusResponse:
        return convert.outbox_status_response(
            self._outbox.status(),
            self._uploader.last_error,
            None if self._clock_state is None else self._clock_state(),
        )

    @translated
    def FlushOutbox(
        self, request: pb.FlushOutboxRequest, context: grpc.ServicerContext
    ) -> pb.FlushOutboxResponse:
        # A pass already running (a slow receiver) is not waited for beyond a few seconds.
        result = self._outbox.flush(force=True, wait_s=FLUSH_WAIT_S)
        return pb.FlushOutboxResponse(
            uploaded=result.uploaded,
            failed=result.failed,
            packages=[convert.package_message(p) for p in result.packages],
            already_running=result.already_running,
        )

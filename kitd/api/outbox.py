"""kit.v1.OutboxService: the sealed packages waiting for the back office."""

from __future__ import annotations

import grpc

from kit.v1 import outbox_service_pb2 as pb
from kit.v1 import outbox_service_pb2_grpc as pb_grpc
from kitd.api import convert
from kitd.api.status import translated
from kitd.outbox.outbox import Outbox
from kitd.outbox.state import PackageInfo, PackageState
from kitd.outbox.uploader import Uploader

_STATES = {
    PackageState.SEALED: pb.PACKAGE_STATE_SEALED,
    PackageState.UPLOADING: pb.PACKAGE_STATE_UPLOADING,
    PackageState.ACKNOWLEDGED: pb.PACKAGE_STATE_ACKNOWLEDGED,
    PackageState.DELETED: pb.PACKAGE_STATE_DELETED,
}
_FROM_PROTO = {v: k for k, v in _STATES.items()}


def package_message(info: PackageInfo) -> pb.PackageInfo:
    message = pb.PackageInfo(
        package_id=info.package_id,
        state=_STATES[info.state],
        sha256=info.sha256,
        size_bytes=info.size,
        sealed_at=convert.timestamp(info.sealed_at),
        upload_attempts=info.upload_attempts,
        last_error=info.last_error,
        expires_at=convert.timestamp(info.expires_at),
        recipient_key_id=info.recipient_key_id,
    )
    if info.next_attempt_at:
        message.next_attempt_at.CopyFrom(convert.timestamp(info.next_attempt_at))
    return message


class OutboxServicer(pb_grpc.OutboxServiceServicer):
    def __init__(self, outbox: Outbox, uploader: Uploader) -> None:
        self._outbox = outbox
        self._uploader = uploader

    @translated
    def ListPackages(
        self, request: pb.ListPackagesRequest, context: grpc.ServicerContext
    ) -> pb.ListPackagesResponse:
        states = tuple(_FROM_PROTO[s] for s in request.states if s in _FROM_PROTO)
        return pb.ListPackagesResponse(
            packages=[package_message(p) for p in self._outbox.packages(states)]
        )

    @translated
    def GetOutboxStatus(
        self, request: pb.GetOutboxStatusRequest, context: grpc.ServicerContext
    ) -> pb.GetOutboxStatusResponse:
        status = self._outbox.status()
        message = pb.GetOutboxStatusResponse(
            pending=status.pending,
            acknowledged=status.acknowledged,
            pending_bytes=status.pending_bytes,
            free_bytes=status.free_bytes,
            min_free_bytes=status.min_free_bytes,
            retention_days=status.retention_days,
            last_error=status.last_error or self._uploader.last_error,
        )
        if status.oldest_pending_sealed_at is not None:
            message.oldest_pending_sealed_at.CopyFrom(
                convert.timestamp(status.oldest_pending_sealed_at)
            )
        if status.last_upload_at is not None:
            message.last_upload_at.CopyFrom(convert.timestamp(status.last_upload_at))
        return message

    @translated
    def FlushOutbox(
        self, request: pb.FlushOutboxRequest, context: grpc.ServicerContext
    ) -> pb.FlushOutboxResponse:
        result = self._outbox.flush(force=True)
        return pb.FlushOutboxResponse(
            uploaded=result.uploaded,
            failed=result.failed,
            packages=[package_message(p) for p in result.packages],
        )

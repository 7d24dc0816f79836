"""A daemon that stops or dies mid-visit drops the visit's captures (they were never on disk) and tells
the app so when it asks for its session again."""

from __future__ import annotations

import signal
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from kit.v1 import capture_service_pb2 as pb
from support.daemon import RunningDaemon
from support.kit import KitUnderTest
from support.visit import Visit


def restart(kit: KitUnderTest, how: signal.Signals) -> None:
    assert kit.daemon is not None and kit.daemon.process is not None
    kit.daemon.process.send_signal(how)
    kit.daemon.process.wait(10)
    kit.daemon.stop()
    kit.daemon = RunningDaemon(kit.daemon.config).start()


@pytest.mark.parametrize(
    ("how", "reason"),
    [(signal.SIGTERM, "daemon stopped"), (signal.SIGKILL, "daemon restarted")],
)
def test_a_visit_interrupted_by_the_daemon_is_reported_lost(
    tmp_path: Path, how: signal.Signals, reason: str
) -> None:
    with KitUnderTest(tmp_path, devices=("camera",)) as kit:
        visit = Visit(kit, "be-kids-id", 6)
        visit.face()
        restart(kit, how)
        client = kit.client
        with pytest.raises(grpc.RpcError) as caught:
            client.capture.GetSession(
                pb.GetSessionRequest(session_id=visit.id), metadata=client.metadata, timeout=5
            )
        assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert reason in caught.value.details()
        status = rpc_status.from_call(caught.value)  # type: ignore[arg-type]
        assert status is not None
        info = error_details_pb2.ErrorInfo()
        status.details[0].Unpack(info)
        assert info.reason == "ERROR_REASON_SESSION_LOST"
        # The kit is free for a new visit.
        assert Visit(kit, "be-kids-id", 6).session.state == pb.SESSION_STATE_ACTIVE


def test_no_capture_reaches_the_disk_during_a_visit(tmp_path: Path) -> None:
    with KitUnderTest(tmp_path, devices=("camera",)) as kit:
        visit = Visit(kit, "be-kids-id", 6)
        response = visit.face()
        photo = response.photo.data
        assert len(photo) > 10_000
        state = tmp_path / "kitd"
        for path in state.rglob("*"):
            if path.is_file() and not path.is_socket():
                assert photo[1000:1064] not in path.read_bytes(), path

"""The daemon's clock, faked through its own seam (`[clock] offset_file`): a clock before the release or
set back refuses visits with a typed, translated error; the jump is in the audit chain; the outbox
status says whether the clock is trusted."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from kit.v1 import capture_service_pb2 as pb
from kit.v1 import outbox_service_pb2 as opb
from kitd.audit.record import AuditKind
from kitd.audit.verify import decode_records
from kitd.client import KitClient
from support.daemon import RunningDaemon, write_config

DAY = 86400


def create(client: KitClient, language: str = "en") -> pb.CreateSessionResponse:
    return client.capture.CreateSession(
        pb.CreateSessionRequest(document_profile="be-kids-id", applicant_age=6, operator_id="op-1"),
        metadata=(*client.metadata, ("accept-language", language)),
        timeout=10,
    )


def refused_reason(caught: pytest.ExceptionInfo[grpc.RpcError]) -> str:
    status = rpc_status.from_call(caught.value)  # type: ignore[arg-type]
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return str(info.reason)


def clock_state(client: KitClient) -> int:
    status = client.outbox.GetOutboxStatus(
        opb.GetOutboxStatusRequest(), metadata=client.metadata, timeout=5
    )
    return int(status.clock_state)


def test_a_clock_set_back_refuses_visits_says_why_and_is_audited(tmp_path: Path) -> None:
    offset = tmp_path / "clock-offset"
    config = write_config(tmp_path, extra=f'\n[clock]\noffset_file = "{offset}"\n')
    with RunningDaemon(config) as daemon:
        client = daemon.client
        assert clock_state(client) == opb.CLOCK_STATE_TRUSTED
        offset.write_text(str(-3 * DAY))  # set back three days while the daemon runs
        with pytest.raises(grpc.RpcError) as caught:
            create(client, "nl")
        assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert refused_reason(caught) == "ERROR_REASON_CLOCK_UNTRUSTED"
        assert "klok" in caught.value.details()
        assert clock_state(client) == opb.CLOCK_STATE_BEHIND_MARK
        offset.write_text("0")  # set right again: visits start
        create(client)
    records, _ = decode_records((tmp_path / "state" / "audit.log").read_bytes())
    jumps = [r.fields["jump"] for r in records if r.kind is AuditKind.CLOCK_JUMPED]
    assert jumps[:2] == ["behind", "ahead"]


def test_a_clock_before_the_release_refuses_the_first_visit(tmp_path: Path) -> None:
    offset = tmp_path / "clock-offset"
    offset.write_text(str(-3 * 365 * DAY))
    config = write_config(tmp_path, extra=f'\n[clock]\noffset_file = "{offset}"\n')
    with RunningDaemon(config) as daemon:
        with pytest.raises(grpc.RpcError) as caught:
            create(daemon.client)
        assert refused_reason(caught) == "ERROR_REASON_CLOCK_UNTRUSTED"
        assert "before" in caught.value.details()
        assert clock_state(daemon.client) == opb.CLOCK_STATE_BEFORE_RELEASE

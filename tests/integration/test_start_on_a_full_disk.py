"""`kitd serve` started on a state directory with no byte free (a small tmpfs, filled): the daemon
starts and serves, a new visit is refused with a typed STORAGE_FULL that says what to do, the packages
waiting in the outbox are still listed, and visits start again, without a restart, once space returns.
Before, the start died on SQLite's untyped `OperationalError`, so the kit could not even upload the
packages that would free the space."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_status import rpc_status

from kit.v1 import capture_service_pb2 as pb
from kit.v1 import outbox_service_pb2 as opb
from kitd.audit.verify import decode_records, verify_chain
from kitd.client import KitClient
from support.kit import KitUnderTest
from support.small_disk import small_disk
from support.visit import Visit

NO_FLOOR = "\n[outbox]\nmin_free_mb = 0\n"


def create(client: KitClient) -> pb.CreateSessionResponse:
    return client.capture.CreateSession(
        pb.CreateSessionRequest(document_profile="be-kids-id", applicant_age=6, operator_id="op-1"),
        metadata=client.metadata,
        timeout=10,
    )


def reason(caught: pytest.ExceptionInfo[grpc.RpcError]) -> str:
    status = rpc_status.from_call(caught.value)  # type: ignore[arg-type]
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return str(info.reason)


def test_a_daemon_started_on_a_full_disk_serves_refuses_visits_and_recovers_by_itself(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "kitd" / "state", size_mb=8) as disk:
        kit = KitUnderTest(tmp_path, devices=("camera",), extra_config=NO_FLOOR)
        with kit:
            visit = Visit(kit, "be-kids-id", 6)
            visit.face()
            waiting = visit.finalize().receipt.package_id
        disk.fill()
        assert disk.free_bytes == 0
        with kit:  # started again on the full disk
            client = kit.client
            health = client.health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.RpcError) as caught:
                create(client)
            assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
            assert reason(caught) == "ERROR_REASON_STORAGE_FULL"
            assert "free space" in caught.value.details()
            listed = client.outbox.ListPackages(
                opb.ListPackagesRequest(), metadata=client.metadata, timeout=5
            )
            assert [p.package_id for p in listed.packages] == [waiting]
            status = client.outbox.GetOutboxStatus(
                opb.GetOutboxStatusRequest(), metadata=client.metadata, timeout=5
            )
            assert status.pending == 1
            disk.free()
            create(client)  # space returned: a visit starts, no restart needed
        records, torn = decode_records((disk.path / "audit.log").read_bytes())
        assert not torn
        verify_chain(records)

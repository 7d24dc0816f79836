"""Finalize retried on a state directory at the edge of full (free space raised 4 KiB at a time): the
visit leaves exactly one package, whatever failed after the commit, and the audit chain still holds."""

from __future__ import annotations

from pathlib import Path

import grpc

from kit.v1 import capture_service_pb2 as pb
from kit.v1 import outbox_service_pb2 as opb
from kitd.audit.record import AuditKind
from kitd.audit.verify import decode_records, verify_chain
from support.kit import KitUnderTest
from support.small_disk import small_disk
from support.visit import Visit

NO_FLOOR = "\n[outbox]\nmin_free_mb = 0\n"
STEP = 4096


def test_a_finalize_retried_at_the_edge_of_a_full_disk_leaves_one_package(tmp_path: Path) -> None:
    with small_disk(tmp_path / "kitd" / "state", size_mb=8) as disk:
        with KitUnderTest(tmp_path, devices=("camera",), extra_config=NO_FLOOR) as kit:
            visit = Visit(kit, "be-kids-id", 6)
            visit.face()
            receipts: list[pb.Receipt] = []
            failures: list[grpc.StatusCode] = []
            leave = 0
            while not receipts and leave < 4 << 20:
                disk.free()
                disk.fill(leave=leave)
                try:
                    receipts.append(visit.finalize().receipt)
                except grpc.RpcError as exc:
                    failures.append(exc.code())
                leave += STEP
            disk.free()
            listed = kit.client.outbox.ListPackages(
                opb.ListPackagesRequest(), metadata=kit.client.metadata, timeout=5
            )
            assert len(listed.packages) == 1, f"{len(listed.packages)} packages for one visit"
            assert len(receipts) == 1, failures
            assert listed.packages[0].package_id == receipts[0].package_id
            # One more finalize, as a client that lost the answer would send: the same package.
            again = visit.finalize()
            assert again.receipt.package_id == receipts[0].package_id
            assert again.session.state == pb.SESSION_STATE_FINALIZED
            assert set(failures) <= {grpc.StatusCode.RESOURCE_EXHAUSTED}, failures
        records, torn = decode_records((disk.path / "audit.log").read_bytes())
        assert not torn
        verify_chain(records)
        sealed = [r for r in records if r.kind is AuditKind.PACKAGE_SEALED]
        assert [r.fields["package_id"] for r in sealed] == [receipts[0].package_id]

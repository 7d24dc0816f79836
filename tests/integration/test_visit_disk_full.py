"""The daemon on a state directory that fills up (a small tmpfs) during finalize: the visit is told
RESOURCE_EXHAUSTED with what to do, nothing of the package stays behind, and the same visit finalizes
once space returns, without a restart."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from kit.v1 import outbox_service_pb2 as opb
from support.kit import KitUnderTest
from support.small_disk import small_disk
from support.visit import Visit

# No floor: the write itself must meet the full disk (the floor is checked by its own tests).
NO_FLOOR = "\n[outbox]\nmin_free_mb = 0\n"


def test_finalize_on_a_full_disk_is_resource_exhausted_and_succeeds_once_space_returns(
    tmp_path: Path,
) -> None:
    with (
        small_disk(tmp_path / "kitd" / "state", size_mb=8) as disk,
        KitUnderTest(tmp_path, devices=("camera",), extra_config=NO_FLOOR) as kit,
    ):
        visit = Visit(kit, "be-kids-id", 6)
        visit.face()
        disk.fill()
        with pytest.raises(grpc.RpcError) as caught:
            visit.finalize()
        assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "free space" in caught.value.details()
        status = rpc_status.from_call(caught.value)  # type: ignore[arg-type]
        assert status is not None
        info = error_details_pb2.ErrorInfo()
        status.details[0].Unpack(info)
        assert info.reason == "ERROR_REASON_STORAGE_FULL"
        outbox = disk.path / "outbox"
        assert list((outbox / "tmp").iterdir()) == []
        assert list((outbox / "packages").iterdir()) == []

        disk.free()
        receipt = visit.finalize().receipt
        listed = kit.client.outbox.ListPackages(
            opb.ListPackagesRequest(), metadata=kit.client.metadata, timeout=5
        )
        assert [p.package_id for p in listed.packages] == [receipt.package_id]
        assert Path(receipt.path).is_file()

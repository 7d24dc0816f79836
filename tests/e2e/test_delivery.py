"""The card-delivery visit over gRPC: the citizen's finger is verified 1:1 against the reference the
back office sealed to the kit; the right finger passes and the package records the match (never the
template); another master print fails and after the policy's attempts the visit ends not verified;
tampered and expired downloads are refused with their own reasons."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from kit.v1 import capture_service_pb2 as pb
from support.kit import KitUnderTest
from support.visit import RIGHT_INDEX, captured_attempt, failed_checks

GOOD = {"quality": 0.9}
CITIZEN = "person-0001"  # the simulator's default person: who puts a finger down
DELIVERY = "be-eid-delivery"


def reason_of(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, error
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return str(info.reason)


def test_the_right_finger_passes_and_the_package_records_the_match(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory(DELIVERY, 40, kit.delivery_reference(CITIZEN, RIGHT_INDEX))
    assert [s.step_id for s in visit.session.steps] == ["verify-finger", "face", "signature"]
    attempt = captured_attempt(visit.finger(RIGHT_INDEX, **GOOD))
    assert attempt.accepted
    verification = visit.refresh().delivery_verification
    assert verification.matched and verification.score >= verification.threshold > 0
    visit.face()
    visit.sign()
    opened, transaction = visit.open(visit.finalize().receipt)
    assert opened.manifest.policy_id == DELIVERY
    assert transaction.fingers == ()
    result = transaction.application_data["2.024"].split("|")
    assert result[1:3] == [str(RIGHT_INDEX), "match"]
    assert float(result[3]) == pytest.approx(verification.score, abs=0.01)
    assert float(result[4]) == pytest.approx(verification.threshold, abs=0.01)
    assert transaction.face_jpeg is not None and transaction.signature_pixels is not None
    assert not any(name.endswith((".wsq", ".iso")) for name in opened.files)


def test_another_master_print_fails_and_ends_the_visit_after_the_attempts(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory(DELIVERY, 40, kit.delivery_reference(CITIZEN, RIGHT_INDEX))
    for _ in range(2):
        attempt = captured_attempt(visit.finger(RIGHT_INDEX, identity="someone-else", **GOOD))
        assert failed_checks(attempt) == {"finger_match"}
        assert visit.session.state == pb.SESSION_STATE_ACTIVE
    visit.finger(RIGHT_INDEX, identity="someone-else", **GOOD)
    session = visit.session
    assert session.state == pb.SESSION_STATE_NOT_VERIFIED
    assert "did not match" in session.end_reason
    assert not session.delivery_verification.matched
    assert session.delivery_verification.attempts_used == 3
    with pytest.raises(grpc.RpcError) as caught:
        visit.finalize()
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    # The kit is free for the next visit.
    visit_factory("be-kids-id", 8)


def test_a_tampered_download_is_refused_as_tampered(kit: KitUnderTest, visit_factory) -> None:
    sealed = bytearray(kit.delivery_reference(CITIZEN, RIGHT_INDEX))
    sealed[-40] ^= 0x20
    with pytest.raises(grpc.RpcError) as caught:
        visit_factory(DELIVERY, 40, bytes(sealed))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(caught.value) == "ERROR_REASON_REFERENCE_TAMPERED"


def test_an_expired_download_is_refused_as_expired(kit: KitUnderTest, visit_factory) -> None:
    issued = datetime.now(UTC) - timedelta(days=20)
    sealed = kit.delivery_reference(CITIZEN, RIGHT_INDEX, issued_at=issued)
    with pytest.raises(grpc.RpcError) as caught:
        visit_factory(DELIVERY, 40, sealed)
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(caught.value) == "ERROR_REASON_REFERENCE_EXPIRED"
    assert "new download" in caught.value.details()


def test_a_delivery_without_its_download_is_refused(visit_factory) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        visit_factory(DELIVERY, 40)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "reference download" in caught.value.details()


def kitctl_deliver(kit: KitUnderTest, reference: Path) -> subprocess.CompletedProcess[str]:
    return kit.kitctl(
        "deliver",
        "--reference-file",
        str(reference),
        "--age",
        "42",
        "--auto",
        "--sim-dir",
        str(kit.sims.workdir),
        "--json",
    )


def test_kitctl_deliver_auto_walks_a_delivery_and_ends_with_a_json_summary(
    kit: KitUnderTest, tmp_path: Path
) -> None:
    reference = tmp_path / "reference.kitref"
    reference.write_bytes(kit.delivery_reference(CITIZEN, RIGHT_INDEX))
    result = kitctl_deliver(kit, reference)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["outcome"] == "verified"
    assert summary["verification"]["matched"] is True
    assert summary["verification"]["score"] >= summary["verification"]["threshold"]
    assert [c["step"] for c in summary["captures"]] == ["verify-finger", "face", "signature"]
    assert Path(summary["package_path"]).is_file()


def test_kitctl_deliver_for_another_citizen_exits_1_not_verified(
    kit: KitUnderTest, tmp_path: Path
) -> None:
    reference = tmp_path / "reference.kitref"
    reference.write_bytes(kit.delivery_reference("someone-else", RIGHT_INDEX))
    result = kitctl_deliver(kit, reference)
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["outcome"] == "not_verified"
    assert summary["verification"] == {
        **summary["verification"],
        "matched": False,
        "attempts": 3,
        "max_attempts": 3,
    }

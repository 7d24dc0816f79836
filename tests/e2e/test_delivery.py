"""The card-delivery visit over gRPC: the citizen's fingers are verified 1:1 against the reference the
back office sealed to the kit (both enrolled fingers, one per hand, the policy's attempts on each); the
right finger passes and the package records the match (never the templates); when the first finger fails
every attempt the second one may still verify; when no print matches, be-eid-delivery lets the operator
check the citizen against the enrollment photo with a reason (audited, and the package says identity was
checked visually), and a policy that forbids it ends the visit not verified. A completed delivery uses
its download up; tampered, forged, expired and too-long-lived downloads are refused with their own
reasons; kitctl deliver walks all of it and refuses an oversized file before reading it."""

from __future__ import annotations

import json
import struct
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import cbor2
import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from backoffice.references import load_signer
from kit.v1 import capture_service_pb2 as pb
from kitd.delivery.kit_key import load_public_key
from kitd.delivery.reference import HEADER_FORMAT, MAGIC, MAX_REFERENCE_BYTES
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_id import key_id_of
from kitd.package import cose, deterministic_cbor, hpke
from kitd.package.header import SUITE_NAME
from support.kit import ENROLLMENT_PHOTO, KitUnderTest
from support.visit import RIGHT_INDEX, Visit, captured_attempt, failed_checks

LEFT_INDEX = 7
GOOD = {"quality": 0.9}
CITIZEN = "person-0001"  # the simulator's default person: who puts a finger down
DELIVERY = "be-eid-delivery"
# The same delivery under a policy that forbids the visual check (a policy folder of the test kit).
STRICT = "be-eid-delivery-strict"
REASON = "face and birth date match the enrollment photo"


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KitUnderTest]:
    """The e2e kit with one more policy: be-eid-delivery with the visual check forbidden."""
    root = tmp_path_factory.mktemp("e2e-delivery")
    policies = root / "policies"
    policies.mkdir()
    text = (resources.files("kitd.policy") / "profiles" / "be-eid-delivery.toml").read_text()
    strict = text.replace(f'id = "{DELIVERY}"', f'id = "{STRICT}"').replace(
        "[delivery.visual_check]\nallowed = true", "[delivery.visual_check]\nallowed = false"
    )
    assert strict.count("allowed = false") == 1
    (policies / "strict.toml").write_text(strict)
    with KitUnderTest(root, extra_config=f'\n[policy]\ndirs = ["{policies}"]\n') as running:
        yield running


def reason_of(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, error
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return str(info.reason)


def both_fingers(kit: KitUnderTest, identity: str = CITIZEN, **options) -> bytes:
    return kit.delivery_reference(identity, RIGHT_INDEX, LEFT_INDEX, **options)


def fail_every_attempt(visit: Visit) -> None:
    """Someone else's fingers on both enrolled fingers, the policy's 3 attempts each."""
    for finger in (RIGHT_INDEX,) * 3 + (LEFT_INDEX,) * 3:
        attempt = captured_attempt(visit.finger(finger, identity="someone-else", **GOOD))
        assert failed_checks(attempt) == {"finger_match"}


def check_visually(visit: Visit, *, confirmed: bool, reason: str = REASON) -> pb.Session:
    visit.session = visit.client.capture.CheckIdentityVisually(
        pb.CheckIdentityVisuallyRequest(session_id=visit.id, confirmed=confirmed, reason=reason),
        metadata=visit.md,
        timeout=5,
    ).session
    return visit.session


def test_the_right_finger_passes_and_the_package_records_the_match(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory(DELIVERY, 40, both_fingers(kit))
    assert [s.step_id for s in visit.session.steps] == ["verify-finger", "face", "signature"]
    assert list(visit.session.delivery_verification.enrolled_fingers) == [RIGHT_INDEX, LEFT_INDEX]
    attempt = captured_attempt(visit.finger(RIGHT_INDEX, **GOOD))
    assert attempt.accepted
    verification = visit.refresh().delivery_verification
    assert verification.matched and verification.score >= verification.threshold > 0
    assert verification.matched_finger == RIGHT_INDEX
    assert verification.identity_check == pb.IDENTITY_CHECK_METHOD_FINGERPRINT
    assert [(a.finger, a.number, a.matched) for a in verification.attempts] == [(2, 1, True)]
    visit.face()
    visit.sign()
    opened, transaction = visit.open(visit.finalize().receipt)
    assert opened.manifest.policy_id == DELIVERY
    assert transaction.fingers == ()
    result = transaction.application_data["2.024"].split("|")
    assert result[1:3] == [str(RIGHT_INDEX), "match"]
    assert float(result[3]) == pytest.approx(verification.score, abs=0.01)
    assert float(result[4]) == pytest.approx(verification.threshold, abs=0.01)
    assert result[6] == "fingerprint"
    assert transaction.application_data["2.025"].split("|")[:2] == [str(RIGHT_INDEX), "1"]
    assert transaction.face_jpeg is not None and transaction.signature_pixels is not None
    assert not any(name.endswith((".wsq", ".iso")) for name in opened.files)
    page = visit.summary("nl").html
    assert "uw identiteit, gecontroleerd met uw vingerafdruk" in page
    assert "Uw nieuwe kaart werd u overhandigd." in page  # the delivery's next step


def test_the_second_enrolled_finger_verifies_when_the_first_fails_every_attempt(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory(DELIVERY, 40, both_fingers(kit))
    for number in (1, 2, 3):
        attempt = captured_attempt(visit.finger(RIGHT_INDEX, identity="someone-else", **GOOD))
        assert (attempt.finger, attempt.number, attempt.accepted) == (RIGHT_INDEX, number, False)
    step = visit.step("verify-finger")
    assert step.finger == LEFT_INDEX and step.state == pb.STEP_STATE_PENDING
    attempt = captured_attempt(visit.finger(LEFT_INDEX, **GOOD))
    assert attempt.accepted
    verification = visit.refresh().delivery_verification
    assert verification.matched_finger == LEFT_INDEX and verification.attempts_used == 4
    assert [a.finger for a in verification.attempts] == [2, 2, 2, 7]
    assert verification.score == max(a.score for a in verification.attempts)
    visit.face()
    visit.sign()
    _opened, transaction = visit.open(visit.finalize().receipt)
    result = transaction.application_data["2.024"].split("|")
    assert result[1:3] == [str(LEFT_INDEX), "match"] and result[5:7] == ["4", "fingerprint"]


def test_after_every_attempt_failed_the_operator_checks_identity_against_the_enrollment_photo(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory(DELIVERY, 40, both_fingers(kit))
    assert visit.session.delivery_verification.visual_check_available
    with pytest.raises(grpc.RpcError) as early:
        check_visually(visit, confirmed=True)
    assert reason_of(early.value) == "ERROR_REASON_VISUAL_CHECK_NOT_ALLOWED"
    fail_every_attempt(visit)
    session = visit.refresh()
    assert session.state == pb.SESSION_STATE_ACTIVE
    assert visit.step("verify-finger").state == pb.STEP_STATE_EXHAUSTED
    assert session.next_step_id == "verify-finger"
    photo = visit.client.capture.GetEnrollmentPhoto(
        pb.GetEnrollmentPhotoRequest(session_id=visit.id), metadata=visit.md, timeout=5
    ).jpeg
    assert photo == ENROLLMENT_PHOTO
    with pytest.raises(grpc.RpcError) as short:
        check_visually(visit, confirmed=True, reason="ok")
    assert short.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    verification = check_visually(visit, confirmed=True).delivery_verification
    assert verification.identity_check == pb.IDENTITY_CHECK_METHOD_VISUAL_CHECK
    assert not verification.matched
    assert (verification.visual_check.reason, verification.visual_check.operator_id) == (
        REASON,
        "op-e2e",
    )
    assert len(verification.attempts) == 6
    visit.face()
    visit.sign()
    opened, transaction = visit.open(visit.finalize().receipt)
    result = transaction.application_data["2.024"].split("|")
    assert result[2] == "no_match" and result[5:7] == ["6", "visual_check"]
    assert transaction.application_data["2.026"].split("|") == ["op-e2e", REASON]
    assert len(transaction.application_data["2.025"].split("; ")) == 6
    (audited,) = [r for r in opened.audit_records if r.kind.value == "identity_check"]
    assert audited.operator_id == "op-e2e"
    assert audited.fields["reason"] == REASON and audited.fields["confirmed"] is True
    page = visit.summary("de").html
    assert "mit Ihrem Foto verglichen" in page
    assert "Fingerabdruck:" not in page  # the delivery's prints were compared, not taken


def test_a_visual_check_that_does_not_confirm_ends_the_visit_not_verified(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory(DELIVERY, 40, both_fingers(kit))
    fail_every_attempt(visit)
    session = check_visually(visit, confirmed=False, reason="the photo shows someone else")
    assert session.state == pb.SESSION_STATE_NOT_VERIFIED
    assert "visual check" in session.end_reason
    # The kit is free for the next visit.
    visit_factory("be-kids-id", 8)


def test_a_policy_that_forbids_the_visual_check_ends_the_visit_after_both_fingers(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory(STRICT, 40, both_fingers(kit))
    assert not visit.session.delivery_verification.visual_check_available
    with pytest.raises(grpc.RpcError) as refused:
        check_visually(visit, confirmed=True)
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(refused.value) == "ERROR_REASON_VISUAL_CHECK_NOT_ALLOWED"
    assert "allows no visual identity check" in refused.value.details()
    fail_every_attempt(visit)
    session = visit.session
    assert session.state == pb.SESSION_STATE_NOT_VERIFIED
    assert "neither the right index finger nor the left index finger" in session.end_reason
    assert not session.delivery_verification.matched
    assert session.delivery_verification.attempts_used == 6
    with pytest.raises(grpc.RpcError) as caught:
        visit.finalize()
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    # The kit is free for the next visit.
    visit_factory("be-kids-id", 8)


def test_a_completed_delivery_uses_its_download_up(kit: KitUnderTest, visit_factory) -> None:
    sealed = both_fingers(kit)
    # A visit that ends without handing the card over leaves the download usable.
    failed = visit_factory(STRICT, 40, sealed)
    fail_every_attempt(failed)
    visit = visit_factory(DELIVERY, 40, sealed)
    captured_attempt(visit.finger(RIGHT_INDEX, **GOOD))
    visit.face()
    visit.sign()
    visit.finalize()
    with pytest.raises(grpc.RpcError) as again:
        visit_factory(DELIVERY, 40, sealed)
    assert again.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(again.value) == "ERROR_REASON_REFERENCE_ALREADY_USED"
    assert "already used" in again.value.details()


def test_a_download_valid_for_a_century_is_refused(kit: KitUnderTest, visit_factory) -> None:
    sealed = both_fingers(kit, valid_for=timedelta(days=36500))
    with pytest.raises(grpc.RpcError) as caught:
        visit_factory(DELIVERY, 40, sealed)
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(caught.value) == "ERROR_REASON_REFERENCE_VALIDITY_TOO_LONG"
    assert "36500 days" in caught.value.details()


def test_a_tampered_download_is_refused_as_tampered(kit: KitUnderTest, visit_factory) -> None:
    sealed = bytearray(both_fingers(kit))
    sealed[-40] ^= 0x20
    with pytest.raises(grpc.RpcError) as caught:
        visit_factory(DELIVERY, 40, bytes(sealed))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(caught.value) == "ERROR_REASON_REFERENCE_TAMPERED"


def test_a_forged_download_with_an_integer_for_its_signature_is_tampered_not_internal(
    kit: KitUnderTest, visit_factory
) -> None:
    """The probe's repro: the kit's delivery key is public, so anyone can seal a COSE_Sign1 to it;
    one with an integer where the signature should be must be refused as a forgery."""
    genuine = cbor2.loads(
        cose.sign1(
            deterministic_cbor.encode({"format": "kitd-reference/2"}),
            FileKeySigner(load_signer(kit.reference_signer)),
        )
    )
    protected, _unprotected, payload, _signature = genuine.value
    forged = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, 12345]))
    kit_key = load_public_key(kit.delivery_key_path)
    header = deterministic_cbor.encode(
        {
            "format": HEADER_FORMAT,
            "reference_id": "ref-forged",
            "kit_id": "TEST-KIT",
            "recipient_key_id": key_id_of(kit_key),
            "sealed_at": "2026-12-03T09:00:00Z",
            "suite": SUITE_NAME,
        }
    )
    sealed = MAGIC + struct.pack(">I", len(header)) + header + hpke.seal(forged, kit_key, header)
    with pytest.raises(grpc.RpcError) as caught:
        visit_factory(DELIVERY, 40, sealed)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(caught.value) == "ERROR_REASON_REFERENCE_TAMPERED"


def test_an_expired_download_is_refused_as_expired(kit: KitUnderTest, visit_factory) -> None:
    issued = datetime.now(UTC) - timedelta(days=20)
    sealed = both_fingers(kit, issued_at=issued)
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


def kitctl_deliver(
    kit: KitUnderTest, reference: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
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
        *extra,
    )


def last_json(result: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_kitctl_deliver_auto_walks_a_delivery_and_ends_with_a_json_summary(
    kit: KitUnderTest, tmp_path: Path
) -> None:
    reference = tmp_path / "reference.kitref"
    reference.write_bytes(both_fingers(kit))
    result = kitctl_deliver(kit, reference)
    assert result.returncode == 0, result.stderr
    summary = last_json(result)
    assert summary["outcome"] == "verified"
    verification = summary["verification"]
    assert verification["matched"] is True and verification["identity_check"] == "fingerprint"
    assert verification["matched_finger"] == RIGHT_INDEX
    assert verification["enrolled_fingers"] == [RIGHT_INDEX, LEFT_INDEX]
    assert verification["score"] >= verification["threshold"]
    assert verification["scores"][-1]["score"] == verification["score"]
    assert [c["step"] for c in summary["captures"]] == ["verify-finger", "face", "signature"]
    assert Path(summary["package_path"]).is_file()
    # The same download a second time: refused, the card was handed over already.
    again = kitctl_deliver(kit, reference)
    assert again.returncode == 1
    assert "already used" in again.stderr


def test_kitctl_deliver_for_another_citizen_exits_1_not_verified(
    kit: KitUnderTest, tmp_path: Path
) -> None:
    reference = tmp_path / "reference.kitref"
    reference.write_bytes(both_fingers(kit, "someone-else"))
    result = kitctl_deliver(kit, reference)
    assert result.returncode == 1, result.stderr
    summary = last_json(result)
    assert summary["outcome"] == "not_verified"
    assert summary["verification"] == {
        **summary["verification"],
        "matched": False,
        "identity_check": "none",
        "attempts": 6,
        "max_attempts": 3,
    }
    assert [s["finger"] for s in summary["verification"]["scores"]] == [2, 2, 2, 7, 7, 7]


def test_kitctl_deliver_with_a_visual_check_hands_the_card_over_after_the_fingers_failed(
    kit: KitUnderTest, tmp_path: Path
) -> None:
    reference = tmp_path / "reference.kitref"
    reference.write_bytes(both_fingers(kit, "someone-else"))
    result = kitctl_deliver(kit, reference, "--visual-check", REASON)
    assert result.returncode == 0, result.stderr
    verification = last_json(result)["verification"]
    assert verification["identity_check"] == "visual_check"
    assert verification["visual_check"] == {
        "confirmed": True,
        "reason": REASON,
        "operator_id": verification["visual_check"]["operator_id"],
    }
    assert verification["attempts"] == 6 and verification["matched"] is False


def test_kitctl_deliver_refuses_an_oversized_reference_file_before_reading_it(
    kit: KitUnderTest, tmp_path: Path
) -> None:
    reference = tmp_path / "huge.kitref"
    # 300 MB, sparse: refused from its size, never read into memory.
    with reference.open("wb") as file:
        file.truncate(300 * 1024 * 1024)
    result = kitctl_deliver(kit, reference)
    assert result.returncode == 1
    assert str(MAX_REFERENCE_BYTES) in result.stderr
    assert "Traceback" not in result.stderr
    # The daemon saw nothing: no visit was started.
    active = kit.client.capture.GetActiveSession(
        pb.GetActiveSessionRequest(), metadata=kit.client.metadata, timeout=5
    )
    assert not active.HasField("session")

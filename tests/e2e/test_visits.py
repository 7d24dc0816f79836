"""Whole visits through gRPC against the simulators, each ending in a package opened as the back
office would open it."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from kit.v1 import capture_service_pb2 as pb
from kit.v1 import types_pb2
from kitd.client import KitClient
from support.kit import KitUnderTest
from support.visit import LEFT_INDEX, RIGHT_INDEX, RIGHT_MIDDLE, Visit, failed_checks

GOOD = {"quality": 0.9}
# A print that fails the index finger's threshold (30) with a margin: wet, pressed and smudged at the
# generator's lowest quality scores 23-29 (quality 0.05 alone reaches 35 with some placements).
POOR = {"quality": 0.0, "wetness": 1.0, "pressure": 1.0, "smudge": 1.0}


def reason_of(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, error
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return str(info.reason)


@contextlib.contextmanager
def unplugged_mid_stream(kit: KitUnderTest, device: str, stream: Any) -> Iterator[None]:
    """Unplugs `device` while `stream` runs: the stream must end with UNAVAILABLE / DEVICE_GONE and
    the device be seen absent; the body runs while it is away; then it is replugged and seen ready."""
    assert kit.watch is not None
    kit.ctl(device, "unplug")
    try:
        with pytest.raises(grpc.RpcError) as caught:
            for _ in stream:
                pass
        assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
        assert reason_of(caught.value) == "ERROR_REASON_DEVICE_GONE"
        assert kit.watch.wait(device, "absent", 5)
        yield
    finally:
        kit.ctl(device, "replug")
    assert kit.watch.wait(device, "ready", 10)


def complete_eid(visit: Visit) -> None:
    visit.face()
    visit.finger(RIGHT_INDEX, **GOOD)
    visit.finger(LEFT_INDEX, **GOOD)
    visit.sign()


def test_adult_eid_visit_packages_photo_two_index_prints_and_signature(visit_factory) -> None:
    visit = visit_factory("be-eid", 40)
    complete_eid(visit)
    assert visit.session.next_step_id == ""
    response = visit.finalize()
    assert response.session.state == pb.SESSION_STATE_FINALIZED
    opened, transaction = visit.open(response.receipt)
    assert opened.sealed_sha256 == response.receipt.sha256
    assert opened.manifest.policy_id == "be-eid"
    assert opened.manifest.policy_version == visit.session.policy_version
    assert transaction.face_jpeg is not None
    assert sorted(f.position for f in transaction.fingers) == [RIGHT_INDEX, LEFT_INDEX]
    assert transaction.signature_pixels is not None
    kinds = [r.kind.value for r in opened.audit_records]
    assert kinds.count("attempt") >= 4


def test_kids_id_at_age_8_packages_only_the_photo(visit_factory) -> None:
    visit = visit_factory("be-kids-id", 8)
    assert [s.step_id for s in visit.session.steps] == ["face"]
    visit.face()
    response = visit.finalize()
    _, transaction = visit.open(response.receipt)
    assert transaction.face_jpeg is not None
    assert transaction.fingers == ()
    assert transaction.signature_pixels is None


def test_three_poor_prints_fall_back_to_the_middle_finger(visit_factory) -> None:
    visit = visit_factory()
    visit.face()
    for _ in range(3):
        visit.finger(RIGHT_INDEX, **POOR)
    right = visit.step("finger-right")
    assert right.finger == RIGHT_MIDDLE
    visit.finger(RIGHT_MIDDLE, **GOOD)
    visit.finger(LEFT_INDEX, **GOOD)
    visit.sign()
    # Every attempt names the step it was made for: the right hand's holds both of its fingers.
    steps = {a.attempt_id: (a.step_id, a.finger) for a in visit.refresh().attempts}
    assert sorted(set(steps.values())) == [
        ("face", 0),
        ("finger-left", LEFT_INDEX),
        ("finger-right", RIGHT_INDEX),
        ("finger-right", RIGHT_MIDDLE),
        ("signature", 0),
    ]
    _, transaction = visit.open(visit.finalize().receipt)
    assert sorted(f.position for f in transaction.fingers) == [RIGHT_MIDDLE, LEFT_INDEX]


def test_amputated_right_index_moves_to_the_right_middle(visit_factory) -> None:
    visit = visit_factory()
    visit.exception(RIGHT_INDEX, types_pb2.FINGER_EXCEPTION_KIND_AMPUTATED, "amputated 2019")
    assert visit.step("finger-right").finger == RIGHT_MIDDLE
    visit.face()
    visit.finger(RIGHT_MIDDLE, **GOOD)
    visit.finger(LEFT_INDEX, **GOOD)
    visit.sign()
    _, transaction = visit.open(visit.finalize().receipt)
    assert sorted(f.position for f in transaction.fingers) == [RIGHT_MIDDLE, LEFT_INDEX]


def test_temporarily_unable_gives_a_12_month_card_without_prints(visit_factory) -> None:
    visit = visit_factory()
    visit.face()
    session = visit.exception(
        0, types_pb2.FINGER_EXCEPTION_KIND_TEMPORARILY_UNABLE, "both hands in plaster"
    )
    assert session.card_validity_months == 12
    visit.sign()
    response = visit.finalize()
    _, transaction = visit.open(response.receipt)
    assert transaction.fingers == ()
    assert "12" in transaction.application_data.values()


def test_signature_waiver_replaces_the_signature(visit_factory) -> None:
    visit = visit_factory()
    visit.face()
    visit.finger(RIGHT_INDEX, **GOOD)
    visit.finger(LEFT_INDEX, **GOOD)
    session = visit.waive(types_pb2.SIGNATURE_WAIVER_REASON_ILLNESS, "tremor")
    assert session.signature_waiver.reason == types_pb2.SIGNATURE_WAIVER_REASON_ILLNESS
    _, transaction = visit.open(visit.finalize().receipt)
    assert transaction.signature_pixels is None
    assert any("illness" in v for v in transaction.application_data.values())


def test_operator_overrides_a_rejected_photo_with_a_reason(visit_factory) -> None:
    visit = visit_factory("be-kids-id", 6)
    response = visit.face(builtin="smiling")
    assert not response.attempt.accepted
    assert "mouth_closed" in failed_checks(response.attempt)
    overridden = visit.override(response.attempt.attempt_id, "child cannot keep a neutral face")
    assert overridden.attempt.accepted
    assert overridden.attempt.override.reason == "child cannot keep a neutral face"
    opened, _ = visit.open(visit.finalize().receipt)
    overrides = [r for r in opened.audit_records if r.kind.value == "override"]
    assert overrides and overrides[0].operator_id == "op-e2e"


def test_camera_unplug_mid_preview_ends_the_stream_and_replug_restores_it(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory("be-kids-id", 9)
    stream = visit.client.capture.StreamFacePreview(
        pb.StreamFacePreviewRequest(session_id=visit.id, max_size=320), metadata=visit.md
    )
    first = next(stream)
    assert first.frame.preview.data
    with unplugged_mid_stream(kit, "camera", stream):
        assert visit.step("face").state == pb.STEP_STATE_PAUSED
    assert visit.step("face").state == pb.STEP_STATE_PENDING
    visit.face()
    assert visit.finalize().session.state == pb.SESSION_STATE_FINALIZED


def test_reader_unplug_mid_capture_keeps_the_session_and_replug_captures(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory()
    stream = visit.client.capture.CaptureFinger(
        pb.CaptureFingerRequest(session_id=visit.id, finger=RIGHT_INDEX, timeout_ms=20000),
        metadata=visit.md,
    )
    first = next(stream)
    assert first.WhichOneof("event") == "waiting"
    with unplugged_mid_stream(kit, "fingerprint", stream):
        pass
    right = visit.step("finger-right")
    assert right.attempts_used == 0
    assert right.state == pb.STEP_STATE_PENDING
    events = visit.finger(RIGHT_INDEX, **GOOD)
    assert any(e.WhichOneof("event") == "captured" for e in events)


def test_corrupted_pad_frames_still_give_an_intact_signature(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory()
    visit.face()
    visit.finger(RIGHT_INDEX, **GOOD)
    visit.finger(LEFT_INDEX, **GOOD)
    kit.ctl("signature_pad", "fault", kind="corrupt", count=3, only="pen")
    events = visit.sign()
    result = next(e.result for e in events if e.WhichOneof("event") == "result")
    assert result.attempt.accepted, failed_checks(result.attempt)
    assert visit.finalize().session.state == pb.SESSION_STATE_FINALIZED


def test_a_disconnected_client_reconnects_and_continues_the_visit(kit: KitUnderTest) -> None:
    assert kit.daemon is not None
    crashed_app = KitClient(kit.daemon.endpoint)
    visit = Visit(kit, "be-kids-id", 7, client=crashed_app)
    crashed_app.close()  # the app crashed mid-visit
    restarted_app = KitClient(kit.daemon.endpoint)
    try:
        active = restarted_app.capture.GetActiveSession(
            pb.GetActiveSessionRequest(), metadata=restarted_app.metadata, timeout=5
        ).session
        assert active.session_id == visit.id
        visit.client = restarted_app
        visit.face()
        assert visit.finalize().session.state == pb.SESSION_STATE_FINALIZED
    finally:
        visit.cancel()
        restarted_app.close()


def test_cancel_ends_the_visit_and_frees_the_kit(visit_factory) -> None:
    visit = visit_factory()
    visit.face()
    cancelled = visit.client.capture.CancelSession(
        pb.CancelSessionRequest(session_id=visit.id, reason="citizen not well"),
        metadata=visit.md,
        timeout=5,
    ).session
    assert cancelled.state == pb.SESSION_STATE_CANCELLED
    assert cancelled.end_reason == "citizen not well"
    visit_factory("be-kids-id", 5)  # a new visit may start


def test_a_second_visit_is_refused_while_one_is_active(visit_factory) -> None:
    first = visit_factory()
    with pytest.raises(grpc.RpcError) as caught:
        visit_factory()
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(caught.value) == "ERROR_REASON_SESSION_ACTIVE"
    assert first.id in caught.value.details()


def test_finalize_with_open_steps_names_them(visit_factory) -> None:
    visit = visit_factory()
    visit.face()
    with pytest.raises(grpc.RpcError) as caught:
        visit.finalize()
    assert reason_of(caught.value) == "ERROR_REASON_POLICY_VIOLATION"
    assert "finger-right" in caught.value.details()


def test_a_finger_the_policy_does_not_ask_for_is_refused(visit_factory) -> None:
    visit = visit_factory()
    with pytest.raises(grpc.RpcError) as caught:
        list(
            visit.client.capture.CaptureFinger(
                pb.CaptureFingerRequest(session_id=visit.id, finger=RIGHT_MIDDLE),
                metadata=visit.md,
                timeout=10,
            )
        )
    assert reason_of(caught.value) == "ERROR_REASON_STEP_NOT_ALLOWED"
    assert "right index" in caught.value.details()


def test_preview_and_capture_run_together(visit_factory) -> None:
    visit = visit_factory("be-kids-id", 10)
    stream = visit.client.capture.StreamFacePreview(
        pb.StreamFacePreviewRequest(session_id=visit.id, max_size=320), metadata=visit.md
    )
    frames: list[pb.FacePreviewFrame] = []
    got_frame = threading.Event()

    def consume() -> None:
        try:
            for response in stream:
                frames.append(response.frame)
                got_frame.set()
        except grpc.RpcError:
            pass

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    assert got_frame.wait(10)
    response = visit.face()
    stream.cancel()
    thread.join(5)
    assert response.attempt.accepted
    assert frames[0].ready
    assert len(response.photo.data) > 10_000
    assert (response.photo.width, response.photo.height) == (827, 1063)


def test_two_previews_of_one_visit_see_each_frame_assessed_once(visit_factory) -> None:
    # Both streams read one shared assessment: the same frame carries the same box and checks.
    visit = visit_factory("be-eid", 40)
    request = pb.StreamFacePreviewRequest(session_id=visit.id, max_size=320)
    streams = [visit.client.capture.StreamFacePreview(request, metadata=visit.md) for _ in "ab"]
    seen: list[dict[int, bytes]] = [{}, {}]
    for stream, frames in zip(streams, seen, strict=True):
        for response in stream:
            frame = response.frame
            frames[frame.frame_id] = frame.face_box.SerializeToString() + b"".join(
                c.SerializeToString() for c in frame.checks
            )
            if len(frames) == 8:
                stream.cancel()
                break
    common = seen[0].keys() & seen[1].keys()
    assert common, "the two streams shared no frame"
    assert all(seen[0][i] == seen[1][i] for i in common)


def test_pad_unplug_mid_signature_keeps_the_session_and_replug_signs_again(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory()
    visit.face()
    visit.finger(RIGHT_INDEX, **GOOD)
    visit.finger(LEFT_INDEX, **GOOD)
    stream = visit.client.capture.CaptureSignature(
        pb.CaptureSignatureRequest(session_id=visit.id, timeout_ms=20000), metadata=visit.md
    )
    kit.ctl("signature_pad", "sign", name="Jan Peeters", press_ok=True)
    first = next(stream)
    assert first.WhichOneof("event") == "samples"
    with unplugged_mid_stream(kit, "signature_pad", stream):
        pass
    assert visit.step("signature").attempts_used == 0
    events = visit.sign()
    result = next(e.result for e in events if e.WhichOneof("event") == "result")
    assert result.attempt.accepted
    assert result.iso_19794_7 and result.image.data
    assert visit.finalize().session.state == pb.SESSION_STATE_FINALIZED


def test_an_empty_signature_fails_not_empty_with_guidance(visit_factory) -> None:
    visit = visit_factory()
    events = list(
        visit.client.capture.CaptureSignature(
            pb.CaptureSignatureRequest(session_id=visit.id, timeout_ms=1500),
            metadata=visit.md,
            timeout=30,
        )
    )
    result = next(e.result for e in events if e.WhichOneof("event") == "result")
    assert not result.attempt.accepted
    not_empty = next(c for c in result.attempt.checks if c.id == "not_empty")
    assert not not_empty.passed
    assert "sign" in not_empty.guidance


def test_corrupt_camera_frames_are_skipped_and_counted_in_the_preview(
    kit: KitUnderTest, visit_factory
) -> None:
    visit = visit_factory("be-kids-id", 9)
    kit.ctl("camera", "fault", kind="corrupt", count=3)
    try:
        frame = visit.wait_for_preview(lambda f: f.corrupt_frames >= 3)
    finally:
        kit.ctl("camera", "fault", kind="clear")
    assert frame.preview.data
    assert frame.face_count == 1


def test_kitctl_enroll_auto_walks_a_whole_visit_and_ends_with_a_json_summary(
    kit: KitUnderTest, tmp_path: Path
) -> None:
    result = kit.kitctl_enroll_auto("--recipient-key", str(kit.recipient.private_path), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"package_id", "package_path", "recipient_key_path", "captures"} <= set(summary)
    assert summary["recipient_key_path"] == str(kit.recipient.private_path)
    assert [c["kind"] for c in summary["captures"]] == ["face", "finger", "finger", "signature"]
    assert all(c["accepted"] and c["attempts"] >= 1 for c in summary["captures"])
    assert Path(summary["package_path"]).is_file()

"""The session's refusals, a visit's end reason, storage, capture and request-validation errors are
rendered in the caller's language; their English is the text they always had."""

from __future__ import annotations

from buf.validate import validate_pb2
from google.rpc import error_details_pb2, status_pb2

from kitd.api.status import status_for
from kitd.errors import CaptureTimeout, StepNotAllowed, StorageFull
from kitd.locale import Catalogs, Message
from kitd.outbox.errors import InsufficientSpace
from kitd.policy.model import Hand, finger_label
from kitd.server.request_validation import invalid_argument_status, rule_kind
from kitd.session.plan import hand_label

CATALOGS = Catalogs.builtin()


def rendered(exc: Exception, language: str) -> tuple[str, dict[str, str]]:
    status = status_for(exc, CATALOGS.texts(language))
    assert status is not None
    rich = status_pb2.Status.FromString(dict(status.trailing_metadata)["grpc-status-details-bin"])
    info = error_details_pb2.ErrorInfo()
    rich.details[0].Unpack(info)
    return rich.message, dict(info.metadata)


def test_a_finger_out_of_turn_is_refused_in_dutch_with_english_unchanged() -> None:
    refusal = StepNotAllowed(
        Message.of(
            "error.finger_not_next",
            asked=finger_label(2),
            hand=hand_label(Hand.RIGHT),
            finger=finger_label(3),
        )
    )
    assert str(refusal) == (
        "the policy asks for right index finger on the right hand, not the right middle finger"
    )
    text, metadata = rendered(refusal, "nl")
    assert (
        text
        == "het beleid vraagt de rechterwijsvinger aan de rechterhand, niet de rechtermiddelvinger"
    )
    assert metadata["message_id"] == "error.finger_not_next"


def test_storage_full_keeps_its_guidance_and_says_it_in_french() -> None:
    full = StorageFull(InsufficientSpace("/var/lib/kitd", 1 << 20, 64 << 20).message)
    assert str(full).endswith("Connect the kit so the outbox can upload, or free space")
    text, _ = rendered(full, "fr")
    assert text.startswith("seulement 1 MiB libres sous /var/lib/kitd")
    assert "libérez de l'espace" in text


def test_no_face_seen_names_the_camera_and_advises_in_german() -> None:
    timeout = CaptureTimeout(Message.of("error.no_face_seen", seconds="20"), device="camera")
    assert str(timeout) == "camera: no face seen within 20 s: ask the person to face the camera"
    text, metadata = rendered(timeout, "de")
    assert text.endswith("bitten Sie die Person, in die Kamera zu schauen")
    assert metadata == {"device": "camera", "message_id": "error.no_face_seen"}


def test_a_rule_id_names_its_kind_of_constraint() -> None:
    assert [
        rule_kind(r) for r in ("required", "string.max_len", "uint32.gt_lt", "string.uuid")
    ] == [
        "required",
        "length",
        "range",
        "format",
    ]
    assert rule_kind("string.something_new") == "invalid"


def test_a_violation_is_a_dutch_sentence_keeping_the_field_and_rule_in_metadata() -> None:
    violation = validate_pb2.Violation(rule_id="string.max_len", message="too long")
    violation.field.elements.add(field_name="reason")
    status = invalid_argument_status([violation], CATALOGS.texts("nl"))
    rich = status_pb2.Status.FromString(dict(status.trailing_metadata)["grpc-status-details-bin"])
    info = error_details_pb2.ErrorInfo()
    rich.details[0].Unpack(info)
    assert rich.message == "reason: te kort of te lang (string.max_len)"
    assert dict(info.metadata) == {
        "field": "reason",
        "rule": "string.max_len",
        "message_id": "validation.length",
    }

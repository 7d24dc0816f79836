"""The API layer renders device reasons and error statuses in the caller's language: a device error
says which device and what to do, the driver's own words go beside it for support."""

from __future__ import annotations

from google.rpc import error_details_pb2, status_pb2

from hal.device import DeviceKind
from hal.errors import DeviceGone
from hal.events import Cause, DeviceState, DeviceStatus, Reason
from kitd.api.convert import device_detail, device_message
from kitd.api.status import status_for
from kitd.errors import CaptureTimeout, SessionNotFound
from kitd.locale import Catalogs, Message

CATALOGS = Catalogs.builtin()


def status_of(exc: Exception, language: str | None) -> tuple[str, dict[str, str]]:
    texts = CATALOGS.texts(language) if language else None
    status = status_for(exc, texts)
    assert status is not None
    rich = status_pb2.Status.FromString(dict(status.trailing_metadata)["grpc-status-details-bin"])
    info = error_details_pb2.ErrorInfo()
    rich.details[0].Unpack(info)
    return rich.message, dict(info.metadata)


def test_a_supervisors_reason_is_said_in_the_callers_language() -> None:
    nl, fr, en = (CATALOGS.texts(language) for language in ("nl", "fr", "en"))
    assert nl(device_message(Reason(Cause.LINK_LOST))) == "verbinding verbroken"
    assert fr(device_message(Reason(Cause.REBOUND, attempts=3))) == "reconnecté après 3 tentatives"
    assert en(device_message(Reason(Cause.REBOUND, attempts=3))) == "rebound after 3 attempts"


def status(detail: str, cause: Cause | None) -> DeviceStatus:
    state = DeviceState.ABSENT if cause else DeviceState.READY
    return DeviceStatus(
        "fingerprint", DeviceKind.FINGERPRINT_SCANNER, state, "t", None, detail, 0.0, cause
    )


def test_a_drivers_own_words_pass_through() -> None:
    assert device_detail(status("USB error 19", Cause.LINK_LOST), CATALOGS.texts("de")) == (
        "USB error 19"
    )


def test_a_device_without_words_of_its_drivers_is_described_by_its_cause() -> None:
    assert device_detail(status("", Cause.NOT_BOUND_YET), CATALOGS.texts("nl")) == CATALOGS.texts(
        "nl"
    )(device_message(Reason(Cause.NOT_BOUND_YET)))
    assert device_detail(status("", None), CATALOGS.texts("nl")) == ""


def test_a_device_error_says_which_device_and_what_to_do_in_the_callers_language() -> None:
    gone = DeviceGone("link closed", device="fingerprint")
    text, metadata = status_of(gone, "fr")
    assert text == (
        "appareil injoignable (lecteur d'empreintes) : rebranchez-le, attendez qu'il soit "
        "disponible et réessayez"
    )
    # The driver's own (English, technical) words are for support, beside the sentence.
    assert metadata == {"device": "fingerprint", "detail": "link closed"}
    english = status_of(gone, "en")[0]
    assert english.startswith("device not connected (fingerprint reader): plug it back in")
    assert "link closed" not in english
    # Without a language (no session, no accept-language) the error says what it is, in English.
    assert status_of(gone, None)[0] == str(gone) == "fingerprint: link closed"


def test_a_capture_timeout_gives_its_advice_and_the_device() -> None:
    advice = Message.of("error.no_face_seen", seconds=20)
    text, metadata = status_of(CaptureTimeout(advice, device="camera"), "nl")
    assert text == f"camera: {CATALOGS.texts('nl')(advice)}"
    assert metadata["message_id"] == "error.no_face_seen"


def test_a_domain_error_is_rendered_and_carries_its_message_id() -> None:
    missing = SessionNotFound(
        Message.of("error.session_not_found", session_id="abc"), session_id="abc"
    )
    assert str(missing) == "no session 'abc' on this kit"
    text, metadata = status_of(missing, "nl")
    assert text == "geen sessie 'abc' op deze kit"
    assert metadata == {"session_id": "abc", "message_id": "error.session_not_found"}


def test_a_domain_error_with_plain_text_is_shown_as_it_is() -> None:
    assert status_of(SessionNotFound("gone"), "de")[0] == "gone"

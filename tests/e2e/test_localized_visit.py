"""A visit in Dutch over gRPC against the simulators: guidance, check advice, the pad's prompt with the
citizen's name, and errors in the language asked for."""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from hal.signpad.base import PadInfo
from kit.v1 import capture_service_pb2 as pb
from kit.v1 import device_service_pb2 as dpb
from kitd.capture.signature import sign_here_screen
from kitd.locale import Catalogs
from support.kit import KitUnderTest
from support.visit import RIGHT_INDEX, Visit

CATALOGS = Catalogs.builtin()
# The simulated pad's screen (kitsim's default identity).
PAD_SCREEN = PadInfo(0, 0, 0, 0, 0, screen_width=480, screen_height=200)


@pytest.fixture
def dutch_visit(kit: KitUnderTest) -> Iterator[Visit]:
    visit = Visit(kit, operator_language="nl-BE", citizen_language="nl")
    try:
        yield visit
    finally:
        visit.cancel()
        kit.ctl("camera", "scene")


def dutch(message_id: str) -> str:
    text = CATALOGS.text(message_id, "nl")
    assert text is not None, message_id
    return text


def test_a_session_reports_the_languages_it_speaks(dutch_visit: Visit) -> None:
    session = dutch_visit.session
    assert (session.operator_language, session.citizen_language) == ("nl", "nl")
    assert list(session.language_fallbacks) == []
    assert [s.title for s in session.steps][:2] == ["foto", "rechterhand: rechterwijsvinger"]


def test_a_language_without_a_catalog_falls_back_to_english_with_a_note(kit: KitUnderTest) -> None:
    visit = Visit(kit, operator_language="nl", citizen_language="it")
    try:
        assert visit.session.citizen_language == "en"
        assert list(visit.session.language_fallbacks) == ["citizen_language: 'it' -> 'en'"]
    finally:
        visit.cancel()


def test_the_face_preview_guides_in_dutch(dutch_visit: Visit) -> None:
    dutch_visit.kit.ctl("camera", "scene", roll=20)
    frame = dutch_visit.wait_for_preview(lambda f: "face.roll.too_high" in f.guidance_ids)
    assert list(frame.guidance) == [dutch(i) for i in frame.guidance_ids]
    assert dutch("face.roll.too_high") in frame.guidance
    assert dutch("face.roll.too_high").startswith("hoofd scheef")
    roll = next(c for c in frame.checks if c.id == "roll")
    assert (roll.guidance_id, roll.guidance) == ("face.roll.too_high", dutch("face.roll.too_high"))


def test_a_failed_finger_check_is_explained_in_dutch(dutch_visit: Visit) -> None:
    dutch_visit.face()
    # A print below the index finger's threshold: wet, pressed and smudged, at the lowest quality.
    events = dutch_visit.finger(RIGHT_INDEX, quality=0.0, wetness=1.0, pressure=1.0, smudge=1.0)
    waiting = next(e.waiting for e in events if e.WhichOneof("event") == "waiting")
    assert waiting.instruction == "Leg de rechterwijsvinger plat op het glas"
    (captured,) = [e.captured for e in events if e.WhichOneof("event") == "captured"]
    score = next(c for c in captured.attempt.checks if c.id == "nfiq_score")
    assert not score.passed
    assert score.guidance_id.startswith("finger.")
    assert score.guidance == dutch(score.guidance_id)
    assert score.guidance != CATALOGS.text(score.guidance_id, "en")


def test_the_pad_shows_the_dutch_prompt_with_the_citizens_name(dutch_visit: Visit) -> None:
    dutch_visit.kit.ctl("signature_pad", "info")  # the pad is there before the capture starts
    stream = dutch_visit.client.capture.CaptureSignature(
        pb.CaptureSignatureRequest(session_id=dutch_visit.id, timeout_ms=1500),
        metadata=dutch_visit.md,
        timeout=30,
    )
    events = list(stream)
    assert any(e.WhichOneof("event") == "result" for e in events)
    shown = dutch_visit.kit.ctl("signature_pad", "info")["screen_crc32"]
    expected = sign_here_screen(PAD_SCREEN, "Jan Peeters", "Teken hier")
    assert shown == zlib.crc32(expected.tobytes())
    assert shown != zlib.crc32(sign_here_screen(PAD_SCREEN, "Jan Peeters", "Sign here").tobytes())


def test_an_error_outside_a_session_is_in_the_language_asked_for(kit: KitUnderTest) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(grpc.RpcError) as caught:
        kit.client.capture.GetSession(
            pb.GetSessionRequest(session_id=missing),
            metadata=(*kit.client.metadata, ("accept-language", "fr-BE, nl;q=0.5")),
            timeout=5,
        )
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == f"aucune session '{missing}' sur ce kit"


def test_without_accept_language_an_error_is_in_the_kits_default(kit: KitUnderTest) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(grpc.RpcError) as caught:
        kit.client.capture.GetSession(
            pb.GetSessionRequest(session_id=missing), metadata=kit.client.metadata, timeout=5
        )
    assert caught.value.details() == f"no session '{missing}' on this kit"


def test_the_kit_lists_its_languages(kit: KitUnderTest) -> None:
    info = kit.client.devices.GetKitInfo(
        dpb.GetKitInfoRequest(), metadata=kit.client.metadata, timeout=5
    )
    assert sorted(info.languages) == ["de", "en", "fr", "nl"]
    assert info.default_language == "en"


def test_kitctl_enroll_in_dutch_prints_the_daemons_dutch_guidance(
    kit: KitUnderTest, tmp_path: Path
) -> None:
    result = kit.kitctl_enroll_auto("--lang", "nl", "--json")
    assert result.returncode == 0, result.stderr
    assert "Leg de rechterwijsvinger plat op het glas" in result.stderr
    assert "Leg de linkerwijsvinger plat op het glas" in result.stderr
    assert "bezoek " in result.stderr and "verzegeld" in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["package_id"]


def test_finalizing_an_incomplete_dutch_visit_is_refused_in_dutch(dutch_visit: Visit) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        dutch_visit.finalize()
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.details().startswith("het bezoek is niet volledig: face")
    assert caught.value.details().endswith("staat nog open")


def test_a_bad_request_field_is_explained_in_the_language_asked_for(kit: KitUnderTest) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        kit.client.capture.GetSession(
            pb.GetSessionRequest(session_id="not-a-uuid"),
            metadata=(*kit.client.metadata, ("accept-language", "nl-BE")),
            timeout=5,
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("session_id: ")
    assert "niet in de verwachte vorm" in caught.value.details()

"""A preview frame's message is built once per language, however many streams send it: the streams
of one frame share the message, another language or the next frame gets its own."""

from __future__ import annotations

from kit.v1 import capture_service_pb2 as pb
from kitd.api.preview_messages import PreviewMessages
from kitd.capture.events import FacePreview
from kitd.locale.catalogs import Catalogs
from kitd.locale.message import Message


def frame(frame_id: int) -> FacePreview:
    return FacePreview(
        frame_id=frame_id,
        grabbed_at=1.0e9,
        jpeg=b"\xff\xd8jpeg",
        width=160,
        height=120,
        face_box=None,
        landmarks=(),
        face_count=0,
        checks=(),
        guidance=(Message("face.single_face.too_low"),),
        ready=False,
        corrupt_frames=0,
    )


def test_the_streams_of_one_frame_share_its_message() -> None:
    messages = PreviewMessages()
    texts = Catalogs.builtin().texts("nl")
    shown = frame(7)
    first = messages.response(shown, texts)
    assert isinstance(first, pb.StreamFacePreviewResponse)
    assert first.frame.frame_id == 7
    assert all(messages.response(shown, texts) is first for _ in range(50))


def test_another_language_or_the_next_frame_gets_its_own_message() -> None:
    messages = PreviewMessages()
    catalogs = Catalogs.builtin()
    shown = frame(7)
    dutch = messages.response(shown, catalogs.texts("nl"))
    french = messages.response(shown, catalogs.texts("fr"))
    assert french is not dutch
    assert list(french.frame.guidance) != list(dutch.frame.guidance)
    following = messages.response(frame(8), catalogs.texts("nl"))
    assert following.frame.frame_id == 8

"""One preview message per frame and language, however many streams send it.

Every stream of the camera at one size reads the same assessed frame (kitd/capture/fanout.py), but
each built the frame's message again (its checks and guidance rendered in the session's language):
with 200 preview streams open that was most of the daemon's CPU, and unary calls waited for the GIL
behind it. Now the first stream to send a frame in a language builds the message and the others
send the same one. Messages are only read once built (serialized per call), never changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from kit.v1 import capture_service_pb2 as pb
from kitd.api import convert
from kitd.capture.events import FacePreview
from kitd.locale.catalogs import Texts

# Frames kept: the newest of each open size and language; older ones are no longer sent.
KEEP = 16


class PreviewMessages:
    """The response of a preview frame in a language, built once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Keyed by the frame's identity: the frame is kept with its message, so the id stays its own.
        self._recent: OrderedDict[tuple[int, str], tuple[FacePreview, pb.StreamFacePreviewResponse]]
        self._recent = OrderedDict()

    def response(self, frame: FacePreview, texts: Texts) -> pb.StreamFacePreviewResponse:
        key = (id(frame), texts.language)
        with self._lock:
            hit = self._recent.get(key)
        if hit is not None and hit[0] is frame:
            return hit[1]
        response = pb.StreamFacePreviewResponse(frame=convert.face_preview_frame(frame, texts))
        with self._lock:
            self._recent[key] = (frame, response)
            while len(self._recent) > KEEP:
                self._recent.popitem(last=False)
        return response

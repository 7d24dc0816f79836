"""The face preview on its way to the browser: the newest frame only, sent when the page has room.

The daemon streams at the camera's rate; a browser that draws slower must see the newest frame, not
a growing backlog. The page acknowledges every frame it has drawn; with `CREDITS` frames in flight
and unacknowledged, a newer frame from the daemon replaces the one waiting, which is dropped.

A frame is one binary WebSocket message: a 4-byte big-endian length, that many bytes of JSON
metadata, then the JPEG. One message, not a JSON message followed by a binary one: measured on
loopback, the second of two back-to-back messages reached Chromium about 40 ms late, every frame.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from kit.v1 import capture_service_pb2 as pb

CREDITS = 2


@dataclass(frozen=True)
class ReceivedFrame:
    """A preview frame from the daemon and when the console received it."""

    frame: pb.FacePreviewFrame
    # When the console had it from the daemon (ms since the epoch): splits the page's latency into
    # the daemon's part and the console's + browser's part.
    received_ms: float


class LatestFrame:
    """A one-frame mailbox with credits: `put` overwrites, `take` waits for a frame and a credit."""

    def __init__(self, credits: int = CREDITS) -> None:
        self._frame: ReceivedFrame | None = None
        self._credits = credits
        self._changed = asyncio.Event()
        self.dropped = 0

    def put(self, frame: pb.FacePreviewFrame) -> None:
        if self._frame is not None:
            self.dropped += 1
        self._frame = ReceivedFrame(frame, time.time() * 1000)
        self._changed.set()

    def ack(self) -> None:
        self._credits += 1
        self._changed.set()

    async def take(self) -> ReceivedFrame:
        while self._frame is None or self._credits <= 0:
            self._changed.clear()
            await self._changed.wait()
        frame, self._frame = self._frame, None
        self._credits -= 1
        return frame


def frame_metadata(received: ReceivedFrame, dropped: int) -> dict[str, Any]:
    """What the page needs beside the JPEG: overlay, checks, guidance and the grab time (ms since
    the epoch, to measure glass-to-glass latency against the page's clock on the same machine).
    """
    frame = received.frame
    box = frame.face_box if frame.HasField("face_box") else None
    return {
        "frame_id": frame.frame_id,
        "grabbed_at_ms": frame.grabbed_at.ToNanoseconds() / 1e6,
        "received_ms": received.received_ms,
        "width": frame.preview.width,
        "height": frame.preview.height,
        "face_box": None
        if box is None
        else {"x": box.x, "y": box.y, "width": box.width, "height": box.height},
        "face_count": frame.face_count,
        "checks": [
            {"id": c.id, "passed": c.passed, "value": c.value, "guidance": c.guidance}
            for c in frame.checks
        ],
        "guidance": list(frame.guidance),
        "ready": frame.ready,
        "corrupt_frames": frame.corrupt_frames,
        "dropped": dropped,
    }


def preview_message(received: ReceivedFrame, dropped: int) -> bytes:
    """The frame as the page reads it: length of the metadata, the metadata (JSON), the JPEG."""
    head = json.dumps(frame_metadata(received, dropped)).encode()
    return len(head).to_bytes(4, "big") + head + received.frame.preview.data

"""The `opencv:` camera driver: a UVC camera through V4L2 on the board, or an MJPEG-over-HTTP stream.

    opencv:/dev/kitd-camera?fourcc=MJPG&w=1920&h=1080&fps=30&exposure=...&gain=...
    opencv:http://127.0.0.1:PORT/stream.mjpg

Both paths take the camera's JPEG frames undecoded (V4L2 with RGB conversion off, FFmpeg in raw packet
mode) and decode them here, so a broken frame (cut short by a lost USB transfer or packet) is noticed,
skipped and counted instead of being shown half grey or ending the stream (what OpenCV's own FFmpeg
decoding does with one). A grab thread keeps only the newest frame. When reads fail for longer than
LOST_AFTER_S, or the stream ends, the driver reports DeviceGone through `_link_lost` and stops; the
supervisor closes and reopens it. See docs/protocols/camera.md.

This module must never retry or rebind on its own, never block `close()` behind a stuck read, and never
let an OpenCV or OS error escape as anything but a hal.errors type.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from hal.camera.base import Camera, Frame
from hal.camera.identity import http_stream_identity, v4l2_identity
from hal.device import DeviceInfo
from hal.errors import DeviceBusy, DeviceError, DeviceFault, DeviceGone, DeviceTimeout
from hal.source import Source

log = logging.getLogger(__name__)

# Reads failing for this long (or the stream ending) mean the camera is gone; an unplug must be
# noticed within a second.
LOST_AFTER_S = 0.5
# FFmpeg: give up opening after this, and fail a read that got nothing for this long (a stalled
# stream then ends instead of hanging the grab thread forever).
OPEN_TIMEOUT_MS = 3000
READ_TIMEOUT_MS = 5000
# FFmpeg probes a stream before the first frame; an MJPEG stream needs no probing, so keep it tiny.
FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
FFMPEG_FAST_OPEN = "probesize;32|analyzeduration;0|fflags;nobuffer"
# How long close() waits for the grab thread; a thread stuck in a read releases its capture itself.
JOIN_TIMEOUT_S = 0.5

SOI, EOI = b"\xff\xd8", b"\xff\xd9"
STAMP_PREFIX = b"kitd-stamp "
_STAMP = re.compile(rb"seq=(\d+) t=([0-9.]+)")

# V4L2 controls a source may set, option name -> OpenCV property.
V4L2_CONTROLS: dict[str, int] = {
    "auto_exposure": cv2.CAP_PROP_AUTO_EXPOSURE,
    "exposure": cv2.CAP_PROP_EXPOSURE,
    "gain": cv2.CAP_PROP_GAIN,
    "brightness": cv2.CAP_PROP_BRIGHTNESS,
    "contrast": cv2.CAP_PROP_CONTRAST,
    "saturation": cv2.CAP_PROP_SATURATION,
    "sharpness": cv2.CAP_PROP_SHARPNESS,
    "auto_wb": cv2.CAP_PROP_AUTO_WB,
    "wb_temperature": cv2.CAP_PROP_WB_TEMPERATURE,
    "autofocus": cv2.CAP_PROP_AUTOFOCUS,
    "focus": cv2.CAP_PROP_FOCUS,
    "zoom": cv2.CAP_PROP_ZOOM,
    "backlight": cv2.CAP_PROP_BACKLIGHT,
}


@dataclass(frozen=True)
class StreamFrame(Frame):
    """A frame with the sender's stamp, when the stream carries one (the simulator stamps every frame
    with a `kitd-stamp` JPEG comment; real cameras do not, and both fields are None).
    """

    # The sender's frame counter.
    sent_seq: int | None = None
    # CLOCK_MONOTONIC seconds when the sender published the frame (same clock as time.monotonic()).
    sent_at: float | None = None


def read_stamp(jpeg: bytes) -> tuple[int, float] | None:
    """(seq, sent_at) from a `kitd-stamp` COM segment among the JPEG's header segments, if any."""
    at = 2
    # Header segments are few; stop at start-of-scan, where entropy-coded data begins.
    for _ in range(16):
        if at + 4 > len(jpeg) or jpeg[at] != 0xFF:
            return None
        marker = jpeg[at + 1]
        if marker == 0xDA:
            return None
        length = int.from_bytes(jpeg[at + 2 : at + 4], "big")
        if marker == 0xFE:
            payload = jpeg[at + 4 : at + 2 + length]
            if payload.startswith(STAMP_PREFIX):
                match = _STAMP.search(payload)
                if match:
                    return int(match[1]), float(match[2])
        at += 2 + length
    return None


def decode_jpeg(jpeg: bytes) -> NDArray[np.uint8] | None:
    """The BGR image of one complete JPEG, or None when the frame is broken (cut short, not a JPEG)."""
    # UVC cameras may pad a frame with zeros after EOI; a frame cut short has no EOI at all.
    if len(jpeg) < 4 or jpeg[:2] != SOI or not jpeg.rstrip(b"\x00").endswith(EOI):
        return None
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.ndim != 3 or image.shape[2] != 3:
        return None
    return np.ascontiguousarray(image, dtype=np.uint8)


class _Stream:
    """One opening of the capture: the VideoCapture, its grab thread and the newest frame.

    The grab thread owns the capture from start to release, so a read stuck in FFmpeg never makes
    close() wait, and a stream from an old opening can never hand a frame to a new one.
    """

    def __init__(
        self,
        capture: Any,
        *,
        raw_jpeg: bool,
        name: str,
        on_lost: Any,
    ) -> None:
        self._capture = capture
        self._raw_jpeg = raw_jpeg
        self._on_lost = on_lost
        self.cond = threading.Condition()
        self.frame: StreamFrame | None = None
        self.ended: DeviceError | None = None
        self.corrupt_frames = 0
        self.stop = threading.Event()
        self._next_id = 0
        self.thread = threading.Thread(target=self._run, name=f"{name}-grab", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            self._grab_until_stopped()
        finally:
            self._capture.release()

    def _grab_until_stopped(self) -> None:
        failing_since: float | None = None
        while not self.stop.is_set():
            try:
                ok, data = self._capture.read()
            except cv2.error as exc:
                ok, data = False, None
                log.debug("camera read raised: %s", exc)
            grabbed_at = time.monotonic()
            if self.stop.is_set():
                return
            if not ok or data is None or data.size == 0:
                if failing_since is None:
                    failing_since = grabbed_at
                elif grabbed_at - failing_since > LOST_AFTER_S:
                    self._end(
                        DeviceGone(
                            f"camera stream ended (no frame could be read for {LOST_AFTER_S:.1f} s): "
                            "check the camera cable, or that the camera service is running"
                        )
                    )
                    return
                self.stop.wait(0.02)
                continue
            failing_since = None
            self._deliver(data, grabbed_at)

    def _deliver(self, data: NDArray[np.uint8], grabbed_at: float) -> None:
        stamp: tuple[int, float] | None = None
        if self._raw_jpeg:
            jpeg = data.tobytes()
            image = decode_jpeg(jpeg)
            if image is None:
                with self.cond:
                    self.corrupt_frames += 1
                log.debug("camera: skipped a broken JPEG frame (%d bytes)", len(jpeg))
                return
            stamp = read_stamp(jpeg)
        else:
            image = np.ascontiguousarray(data, dtype=np.uint8)
        with self.cond:
            self.frame = StreamFrame(
                frame_id=self._next_id,
                image=image,
                grabbed_at=grabbed_at,
                corrupt_frames=self.corrupt_frames,
                sent_seq=None if stamp is None else stamp[0],
                sent_at=None if stamp is None else stamp[1],
            )
            self._next_id += 1
            self.cond.notify_all()

    def _end(self, error: DeviceError) -> None:
        with self.cond:
            self.ended = error
            self.cond.notify_all()
        self._on_lost(error)


class OpenCVCamera(Camera):
    """A camera opened with OpenCV: V4L2 for device paths, FFmpeg for http(s)/rtsp URLs."""

    _stream: _Stream | None = None

    @classmethod
    def check_source(cls, source: Source) -> None:
        for name in ("w", "h", "fps"):
            source.int_option(name, 0)

    # -- Device ---------------------------------------------------------------------------------

    def _open(self) -> DeviceInfo:
        target = self.source.target
        if re.match(r"^[a-z][a-z0-9+.-]*://", target):
            capture, info = self._open_url(target)
            raw_jpeg = True
        else:
            capture, info, raw_jpeg = self._open_v4l2(target)
        stream = _Stream(capture, raw_jpeg=raw_jpeg, name=self.name, on_lost=self._link_lost)
        self._stream = stream
        stream.start()
        return info

    def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        stream.stop.set()
        with stream.cond:
            stream.cond.notify_all()
        stream.thread.join(timeout=JOIN_TIMEOUT_S)

    # -- Camera ---------------------------------------------------------------------------------

    def _latest(self, timeout: float) -> Frame:
        stream = self._require_stream()
        with stream.cond:
            stream.cond.wait_for(
                lambda: (
                    stream.frame is not None or stream.ended is not None or stream.stop.is_set()
                ),
                timeout,
            )
            if stream.ended is not None:
                raise DeviceGone(str(stream.ended.args[0]), device=self.name)
            if stream.stop.is_set():
                raise DeviceGone("camera was closed", device=self.name)
            if stream.frame is None:
                raise DeviceTimeout(
                    f"no frame from the camera within {timeout:.1f} s: is it covered, stalled or "
                    "busy in another program?",
                    device=self.name,
                )
            return stream.frame

    def _wait_new_frame(self, last_id: int, timeout: float) -> None:
        stream = self._require_stream()
        with stream.cond:
            stream.cond.wait_for(
                lambda: (
                    stream.ended is not None
                    or stream.stop.is_set()
                    or (stream.frame is not None and stream.frame.frame_id != last_id)
                ),
                timeout,
            )

    @property
    def corrupt_frames(self) -> int:
        """Broken frames skipped since this opening."""
        stream = self._stream
        if stream is None:
            return 0
        with stream.cond:
            return stream.corrupt_frames

    def _require_stream(self) -> _Stream:
        stream = self._stream
        if stream is None:
            raise DeviceGone("camera is not open", device=self.name)
        return stream

    # -- the URL path (the simulator, IP cameras) --------------------------------------------------

    def _open_url(self, url: str) -> tuple[Any, DeviceInfo]:
        # Must be in the environment before FFmpeg opens; a user's own setting wins.
        os.environ.setdefault(FFMPEG_OPTIONS_ENV, FFMPEG_FAST_OPEN)
        identity = http_stream_identity(url, self.name)
        capture = cv2.VideoCapture(
            url,
            cv2.CAP_FFMPEG,
            [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                OPEN_TIMEOUT_MS,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                READ_TIMEOUT_MS,
            ],
        )
        if not capture.isOpened():
            capture.release()
            raise DeviceGone(
                f"cannot open the camera stream {url}: is the camera (or kitsim) running?",
                device=self.name,
            )
        # Raw packets: the JPEG bytes of each part, decoded (and checked) by this driver.
        if not capture.set(cv2.CAP_PROP_FORMAT, -1):
            capture.release()
            raise DeviceFault(
                "this OpenCV build cannot hand out raw MJPEG frames (CAP_PROP_FORMAT=-1); "
                "install opencv-python-headless >= 4.10",
                device=self.name,
            )
        return capture, identity

    # -- the V4L2 path (the board) ---------------------------------------------------------------

    def _open_v4l2(self, path: str) -> tuple[Any, DeviceInfo, bool]:
        node = Path(path)
        if not node.exists():
            raise DeviceGone(
                f"no camera at {path}: check the USB cable and the udev rule that creates it",
                device=self.name,
            )
        if not os.access(node, os.R_OK | os.W_OK):
            raise DeviceFault(
                f"no permission to open {path}: the kitd user must be in the 'video' group",
                device=self.name,
            )
        capture = cv2.VideoCapture(str(node.resolve()), cv2.CAP_V4L2)
        if not capture.isOpened():
            capture.release()
            raise DeviceBusy(
                f"cannot open {path}: another program may be using the camera", device=self.name
            )
        try:
            fourcc = self.source.option("fourcc", "MJPG")
            width = self.source.int_option("w", 1920)
            height = self.source.int_option("h", 1080)
            fps = self.source.int_option("fps", 30)
            # The pixel format first: many UVC cameras offer 1080p at 30 fps only as MJPG, and a
            # size set while the format is still YUYV is clamped to what YUYV allows.
            capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*fourcc[:4].ljust(4)))
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            capture.set(cv2.CAP_PROP_FPS, fps)
            # Two buffers: the grab thread always reads, so older frames never pile up.
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 2)
            unsupported = self._apply_controls(capture)
            actual = (
                int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            )
            if actual != (width, height):
                raise DeviceFault(
                    f"camera gives {actual[0]}x{actual[1]} instead of {width}x{height} "
                    f"({fourcc}): use a size the camera lists (v4l2-ctl --list-formats-ext)",
                    device=self.name,
                )
            raw_jpeg = fourcc.upper() == "MJPG" and bool(capture.set(cv2.CAP_PROP_CONVERT_RGB, 0))
        except DeviceError:
            capture.release()
            raise
        info = v4l2_identity(node, self.name)
        details = dict(info.details)
        details.update(
            {
                "transport": "v4l2",
                "fourcc": fourcc,
                "width": str(width),
                "height": str(height),
                "fps": f"{capture.get(cv2.CAP_PROP_FPS):g}",
            }
        )
        if unsupported:
            details["unsupported_controls"] = ",".join(unsupported)
        return (
            capture,
            DeviceInfo(info.vendor, info.model, info.serial, info.firmware, details),
            raw_jpeg,
        )

    def _apply_controls(self, capture: Any) -> list[str]:
        """Sets the controls named in the source; returns those the camera does not have."""
        unsupported = []
        for option, prop in V4L2_CONTROLS.items():
            text = self.source.options.get(option)
            if text is None:
                continue
            try:
                value = float(text)
            except ValueError:
                raise DeviceFault(
                    f"option {option}={text!r} is not a number", device=self.name
                ) from None
            if not capture.set(prop, value):
                # Controls are optional: a camera without one still takes photos.
                log.warning("%s: camera has no control %r; ignored", self.name, option)
                unsupported.append(option)
        return unsupported

"""The simulated camera's wire: a multipart MJPEG stream over HTTP on loopback, as IP and USB-bridge
cameras serve it (see docs/protocols/camera.md).

A `FrameClock` publishes the current JPEG at a steady rate; every HTTP client waits on it, so all
clients see the same frame sequence. Faults (stall, disconnect, corrupt frames) act on the clock and
the open connections. The clock never renders or encodes: it only stamps the cached JPEG of the
current scene (a JPEG comment with the frame number and send time), which keeps 30 fps at 1080p cheap.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOUNDARY = "kitsimframe"
STAMP_PREFIX = b"kitd-stamp "


@dataclass(frozen=True)
class PublishedFrame:
    """A JPEG frame as the stream published it, with its sequence number and time."""

    seq: int
    # CLOCK_MONOTONIC seconds when the clock published it (comparable across processes on Linux).
    sent_at: float
    jpeg: bytes
    corrupt: bool


def stamp(jpeg: bytes, seq: int, sent_at: float) -> bytes:
    """The JPEG with a COM segment `kitd-stamp seq=N t=SECONDS` after the APP0 (JFIF) segment."""
    payload = STAMP_PREFIX + f"seq={seq} t={sent_at:.6f}".encode()
    segment = b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload
    at = 2
    if jpeg[2:4] == b"\xff\xe0":
        at = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:at] + segment + jpeg[at:]


def truncate(jpeg: bytes) -> bytes:
    """The frame cut half-way, without its EOI: what a lost USB transfer or packet does to MJPEG."""
    return jpeg[: max(4, len(jpeg) // 2)]


class FrameClock:
    """Publishes frames at `fps`; holds faults that act on what is published."""

    def __init__(self, fps: float, jpeg: bytes) -> None:
        self.fps = fps
        self._jpeg = jpeg
        self._cond = threading.Condition()
        self._latest: PublishedFrame | None = None
        self._seq = 0
        self._stall_until = 0.0
        self._corrupt_pending = 0
        self.corrupt_sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-clock", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=2.0)

    def set_jpeg(self, jpeg: bytes) -> None:
        with self._cond:
            self._jpeg = jpeg

    def stall(self, duration: float) -> None:
        with self._cond:
            self._stall_until = time.monotonic() + duration

    def corrupt(self, count: int) -> None:
        with self._cond:
            self._corrupt_pending += count

    def clear_faults(self) -> None:
        with self._cond:
            self._stall_until = 0.0
            self._corrupt_pending = 0

    @property
    def stalled(self) -> bool:
        return time.monotonic() < self._stall_until

    @property
    def frames_published(self) -> int:
        return self._seq

    def wait_after(self, seq: int, timeout: float) -> PublishedFrame | None:
        """The newest frame with a number above `seq`, or None after `timeout` s or when stopped."""
        with self._cond:
            self._cond.wait_for(
                lambda: (
                    self._stop.is_set() or (self._latest is not None and self._latest.seq > seq)
                ),
                timeout,
            )
            latest = self._latest
        if self._stop.is_set() or latest is None or latest.seq <= seq:
            return None
        return latest

    def _run(self) -> None:
        period = 1.0 / self.fps
        next_at = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if next_at > now:
                self._stop.wait(next_at - now)
                continue
            # After a hiccup longer than a frame, resynchronise instead of bursting to catch up.
            next_at = max(next_at + period, now)
            with self._cond:
                if now < self._stall_until:
                    continue
                self._seq += 1
                corrupt = self._corrupt_pending > 0
                if corrupt:
                    self._corrupt_pending -= 1
                    self.corrupt_sent += 1
                jpeg = stamp(self._jpeg, self._seq, now)
                self._latest = PublishedFrame(
                    self._seq, now, truncate(jpeg) if corrupt else jpeg, corrupt
                )
                self._cond.notify_all()


class StreamServer:
    """HTTP on 127.0.0.1: GET /stream.mjpg (multipart MJPEG), /info (identity, JSON), /snapshot.jpg."""

    def __init__(
        self, clock: FrameClock, info: Callable[[], dict[str, Any]], port: int = 0
    ) -> None:
        self._clock = clock
        self._info = info
        self._requested_port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.connections_total = 0

    @property
    def port(self) -> int:
        return self._requested_port

    @property
    def serving(self) -> bool:
        return self._server is not None

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def start(self) -> int:
        server = ThreadingHTTPServer(("127.0.0.1", self._requested_port), self._handler_class())
        server.daemon_threads = True
        # Replug must get the same port back even while old connections linger in TIME_WAIT.
        self._requested_port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="camera-http",
            daemon=True,
        )
        self._thread.start()
        return self._requested_port

    def stop(self) -> None:
        """Stops listening (new connections are refused) and cuts every open stream."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self.drop_connections()

    def drop_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            # OSError: the client already closed it.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            """The MJPEG stream's HTTP handler."""

            protocol_version = "HTTP/1.0"
            server_version = "kitsim-camera/1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # a request log per stream would flood the simulator's output

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/stream.mjpg":
                    owner._serve_stream(self)
                elif path == "/info":
                    body = json.dumps(owner._info()).encode()
                    self._reply(200, "application/json", body)
                elif path == "/snapshot.jpg":
                    frame = owner._clock.wait_after(0, 2.0)
                    if frame is None:
                        self._reply(503, "text/plain", b"no frame\n")
                    else:
                        self._reply(200, "image/jpeg", frame.jpeg)
                else:
                    self._reply(404, "text/plain", b"try /stream.mjpg or /info\n")

            def _reply(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _serve_stream(self, handler: BaseHTTPRequestHandler) -> None:
        connection = handler.connection
        with self._lock:
            self._connections.add(connection)
            self.connections_total += 1
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            handler.send_header("Cache-Control", "no-cache, no-store")
            handler.send_header("Connection", "close")
            handler.end_headers()
            seq = 0
            while self._server is not None:
                frame = self._clock.wait_after(seq, 0.25)
                if frame is None:
                    continue
                seq = frame.seq
                head = (
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.jpeg)}\r\n"
                    f"X-Frame-Seq: {frame.seq}\r\nX-Timestamp: {frame.sent_at:.6f}\r\n\r\n"
                ).encode()
                handler.wfile.write(head + frame.jpeg + b"\r\n")
                handler.wfile.flush()
        except OSError:
            pass  # the client went away or the stream was cut (unplug, disconnect fault)
        finally:
            with self._lock:
                self._connections.discard(connection)

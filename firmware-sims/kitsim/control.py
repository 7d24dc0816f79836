"""The simulators' control channel: JSON over HTTP on a Unix socket.

`POST /<command>` with a JSON object body answers `{"ok": true, "result": {...}}` or, for a bad command,
HTTP 400 with `{"ok": false, "error": "..."}`. The same shape is used between `kitsim up` and each
simulator process and between clients (tests, `kitsim ctl`, `kitctl enroll --auto`) and `kitsim up`.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import socketserver
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

Handler = Callable[[str, dict[str, Any]], dict[str, Any]]


class ControlError(Exception):
    """A control request failed; the message comes from the simulator."""


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = True


class ControlServer:
    """Serves `handler(command, args)` on a Unix socket until `close()`."""

    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        path.unlink(missing_ok=True)

        class RequestHandler(BaseHTTPRequestHandler):
            """The simulators' control API: one JSON POST per command."""

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    args = json.loads(self.rfile.read(length) or b"{}")
                    if not isinstance(args, dict):
                        raise ValueError("the body must be a JSON object")
                    result = handler(self.path.strip("/"), args)
                    self._answer(200, {"ok": True, "result": result})
                except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller
                    self._answer(400, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def address_string(self) -> str:
                return "local"

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _UnixHTTPServer(str(path), RequestHandler)
        os.chmod(path, 0o660)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.path.unlink(missing_ok=True)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(str(self._path))
        self.sock = sock


def call(
    path: Path, command: str, args: dict[str, Any] | None = None, timeout: float = 30.0
) -> Any:
    """Sends one control command and returns its result; raises ControlError on failure."""
    connection = _UnixConnection(path, timeout)
    try:
        body = json.dumps(args or {}).encode()
        connection.request("POST", f"/{command}", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read() or b"{}")
    except OSError as exc:
        raise ControlError(f"control socket {path}: {exc}") from exc
    finally:
        connection.close()
    if not answer.get("ok"):
        raise ControlError(answer.get("error", "unknown error"))
    return answer.get("result")

"""Bounds on what a browser (or anything else on the board) sends the console: request bodies by
size and time, JSON by nesting depth, WebSocket messages by size, and clients that connect and then
trickle or send nothing by a deadline for their request head.

Without them one local process could take the console to hundreds of MB with one POST, hold its
connections open forever, or stop a request with a RecursionError (a 500 and a trace in the log).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from uvicorn.protocols.http.h11_impl import H11Protocol

from console.messages import console_error

# The largest body the page sends is CreateSession with a delivery reference (16 KiB as base64).
MAX_BODY_BYTES = 256 * 1024
# The page's messages over a WebSocket are "ack" and small commands.
MAX_WS_MESSAGE_BYTES = 64 * 1024
# kit.v1 requests nest a few levels; anything deeper is not a request.
MAX_JSON_DEPTH = 32
# Seconds a client has for its request head, and for its body once the head is in.
CLIENT_TIMEOUT_S = 10.0


class BodyRefused(ValueError):
    """A request body or message refused before it was used: too large, too slow, too deep, not JSON."""

    def __init__(self, message: str, status: int, code: str = "INVALID_ARGUMENT") -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def response(self) -> Response:
        return JSONResponse({"error": console_error(str(self), self.code)}, self.status)


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, brackets inside strings not counted.
    Linear and without recursion, so it is safe on any input before json.loads sees it.
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads for text from outside: BodyRefused when it is not JSON or nests too deep."""
    try:
        decoded = text.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError as exc:
        raise BodyRefused(f"the body is not UTF-8: {exc.reason}", 400) from None
    if json_depth(decoded) > max_depth:
        raise BodyRefused(f"the JSON nests deeper than {max_depth} levels", 400)
    try:
        return json.loads(decoded)
    except (ValueError, RecursionError) as exc:
        raise BodyRefused(f"the body is not JSON: {exc}", 400) from None


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused (413) as soon as it passes `limit`, (408) when it takes longer
    than the app's client timeout and (400) when the client hung up before it was whole.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyRefused(f"the body is larger than {limit} bytes", 413, "RESOURCE_EXHAUSTED")
    timeout: float = getattr(request.app.state, "client_timeout_s", CLIENT_TIMEOUT_S)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyRefused(
                        f"the body is larger than {limit} bytes", 413, "RESOURCE_EXHAUSTED"
                    )
                chunks.append(chunk)
    except TimeoutError:
        raise BodyRefused(
            f"the body did not arrive within {timeout:g} s", 408, "DEADLINE_EXCEEDED"
        ) from None
    except ClientDisconnect:
        # Nobody reads the answer; what matters is that no handler sees this as a failure.
        raise BodyRefused("the client hung up before its body was whole", 400) from None
    return b"".join(chunks)


def json_object(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object (empty = {}); BodyRefused for anything else."""
    fields = loads(body) if body else {}
    if not isinstance(fields, dict):
        raise BodyRefused("the request body must be a JSON object", 400)
    return fields


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, bounded as read_body and loads are."""
    return json_object(await read_body(request))


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request head: a client that connects and
    sends nothing, or trickles its headers, is disconnected after the app's client timeout (uvicorn
    itself waits forever for a head that has begun). A request answered before its body was read
    (401 without a session, 413, 408) ends its connection: uvicorn would otherwise wait for the rest of
    a body nobody reads, as long as the client trickles it.
    """

    client_timeout_s = CLIENT_TIMEOUT_S
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watch()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            self.transport.close()

    def _watch_head(self) -> None:
        # IDLE: no complete request head yet (a new connection, or between keep-alive requests
        # once bytes of the next one arrived); after an upgrade this protocol no longer reads.
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if waiting and self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.client_timeout_s, self._too_slow)
        elif not waiting:
            self._stop_watch()

    def _stop_watch(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def timed_protocol(timeout_s: float) -> type[TimedH11Protocol]:
    """TimedH11Protocol with its deadline set to `timeout_s`."""
    return type("TimedH11Protocol", (TimedH11Protocol,), {"client_timeout_s": timeout_s})

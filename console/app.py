"""kit-console's web application: the page, a JSON bridge to the kit.v1 unary calls the page may
make, and WebSocket bridges to the daemon's streams (device events, face preview, finger capture,
signature capture).

Why this stack: Starlette on uvicorn is a small, well-kept ASGI stack, and its WebSocket support
(through the websockets package) carries the live preview as binary JPEG messages without base64
or polling. The daemon is reached with grpc.aio on the same event loop: no thread is parked per open stream,
and the last browser to leave a stream cancels it at once. Every page asking for the same stream
shares one daemon stream (console/shared_streams.py). The page never sees the daemon's token; this
process adds it to every call.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.json_format import ParseError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from console import catalog
from console.auth import BrowserAuth, Logins, login_call, login_page, logout_call
from console.calls import CALLS, parse_request
from console.guard import SameOriginGuard
from console.headers import SecurityHeaders
from console.limits import CLIENT_TIMEOUT_S, BodyRefused, read_json_object
from console.messages import console_error, error_json, http_status, to_json
from console.shared_streams import SharedStreams, Sharing
from console.streams import finger_event, json_stream, preview_stream
from console.summary import visit_summary
from kit.v1 import capture_service_pb2 as cpb
from kit.v1 import device_service_pb2 as dpb
from kit.v1 import types_pb2
from kitd.client import AsyncKitClient, DaemonError, Endpoint

STATIC = Path(__file__).with_name("static")
PREVIEW_MAX_SIZE = 640
# What a page joining a shared stream late is replayed (console/shared_streams.py).
DEVICE_EVENTS = Sharing(replay_key=lambda response: response.event.device.id)
PREVIEW = Sharing(replay_key=lambda response: "latest", newest_only=True)
CAPTURE = Sharing(replay_key=None)


def kit_of(scope: Request | WebSocket) -> AsyncKitClient:
    """The daemon client this application made on its own event loop."""
    client: AsyncKitClient = scope.app.state.kit
    return client


def shared_of(scope: WebSocket) -> SharedStreams:
    """The daemon streams the pages of this application share."""
    streams: SharedStreams = scope.app.state.streams
    return streams


async def index(request: Request) -> Response:
    """The operator's page (static/index.html)."""
    return FileResponse(STATIC / "index.html")


async def citizen(request: Request) -> Response:
    """The citizen's view: the tablet turned round, or a second screen (static/citizen.html)."""
    return FileResponse(STATIC / "citizen.html")


async def texts(request: Request) -> Response:
    """The console's own texts in the language asked for, with the languages it has."""
    chosen = catalog.texts_for(request.path_params["language"])
    return JSONResponse(
        {"language": chosen.language, "languages": catalog.languages(), "texts": chosen.texts},
    )


async def unary(request: Request) -> Response:
    """`POST /api/call/METHOD` with a JSON request: the daemon's answer or error as JSON."""
    name = request.path_params["method"]
    call = CALLS.get(name)
    if call is None:
        return JSONResponse({"error": console_error(f"no call {name!r}", "NOT_FOUND")}, 404)
    try:
        fields = await read_json_object(request)
        message = parse_request(call, fields)
    except BodyRefused as refused:
        return JSONResponse(
            {"error": console_error(f"{name}: {refused}", refused.code)}, refused.status
        )
    except (ValueError, ParseError, RecursionError) as exc:
        return JSONResponse({"error": console_error(f"{name}: {exc}")}, 400)
    kit = kit_of(request)
    method: Any = getattr(getattr(kit, call.service), name)
    try:
        response = await method(message, metadata=kit.metadata, timeout=call.timeout_s)
    except grpc.RpcError as exc:
        error = DaemonError.from_rpc_error(exc)
        return JSONResponse({"error": error_json(error)}, http_status(error))
    return JSONResponse(to_json(response))


async def device_events(ws: WebSocket) -> None:
    """`/ws/devices`: every device's state now, then each change, as JSON."""
    await ws.accept()
    kit = kit_of(ws)
    events = shared_of(ws).events(
        ("devices",),
        lambda: kit.devices.WatchDeviceEvents(
            dpb.WatchDeviceEventsRequest(include_current=True), metadata=kit.metadata
        ),
        DEVICE_EVENTS,
    )
    await json_stream(ws, events, to_json)


async def face_preview(ws: WebSocket) -> None:
    """`/ws/sessions/ID/preview`: the live face preview, paced by the page's acknowledgements."""
    await ws.accept()
    kit = kit_of(ws)
    try:
        max_size = min(int(ws.query_params.get("max_size", PREVIEW_MAX_SIZE)), 4096)
    except ValueError:
        max_size = PREVIEW_MAX_SIZE
    request = cpb.StreamFacePreviewRequest(
        session_id=ws.path_params["session_id"], max_size=max_size
    )
    events = shared_of(ws).events(
        ("preview", request.session_id, max_size),
        lambda: kit.capture.StreamFacePreview(request, metadata=kit.metadata),
        PREVIEW,
    )
    await preview_stream(ws, events)


async def finger_capture(ws: WebSocket) -> None:
    """`/ws/sessions/ID/finger`: one finger's capture events; `?finger=` names the finger."""
    await ws.accept()
    kit = kit_of(ws)
    request = cpb.CaptureFingerRequest(session_id=ws.path_params["session_id"])
    # The page names the finger as the session gave it (an enum name); unknown = the next one.
    with contextlib.suppress(ValueError):
        request.finger = types_pb2.FingerPosition.Value(ws.query_params.get("finger", ""))
    events = shared_of(ws).events(
        ("finger", request.session_id, request.finger),
        lambda: kit.capture.CaptureFinger(request, metadata=kit.metadata),
        CAPTURE,
    )
    await json_stream(ws, events, finger_event)


async def signature_capture(ws: WebSocket) -> None:
    """`/ws/sessions/ID/signature`: the signature's capture events; the page may ask to clear."""
    await ws.accept()
    kit = kit_of(ws)
    session_id = ws.path_params["session_id"]
    events = shared_of(ws).events(
        ("signature", session_id),
        lambda: kit.capture.CaptureSignature(
            cpb.CaptureSignatureRequest(session_id=session_id), metadata=kit.metadata
        ),
        CAPTURE,
    )

    async def clear(_: dict[str, Any]) -> None:
        await kit.capture.ClearSignature(
            cpb.ClearSignatureRequest(session_id=session_id), metadata=kit.metadata, timeout=10
        )

    await json_stream(ws, events, to_json, {"clear": clear})


def create_app(
    endpoint: Endpoint,
    hosts: frozenset[str],
    logins: Logins,
    client_timeout_s: float = CLIENT_TIMEOUT_S,
) -> Starlette:
    """The console for the daemon at `endpoint`, answering only to the Host names in `hosts` and
    only to browsers logged in through `logins`.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # grpc.aio channels belong to the loop that made them: create it on uvicorn's.
        app.state.kit = AsyncKitClient(endpoint)
        # Every page asking for the same daemon stream shares one.
        app.state.streams = SharedStreams()
        try:
            yield
        finally:
            await app.state.kit.close()

    routes = [
        Route("/", index),
        Route("/citizen", citizen),
        Route("/login", login_page),
        Route("/api/login", login_call, methods=["POST"]),
        Route("/api/logout", logout_call, methods=["POST"]),
        Route("/api/texts/{language}", texts),
        Route("/api/call/{method}", unary, methods=["POST"]),
        Route("/summary/{session_id}", visit_summary),
        WebSocketRoute("/ws/devices", device_events),
        WebSocketRoute("/ws/sessions/{session_id}/preview", face_preview),
        WebSocketRoute("/ws/sessions/{session_id}/finger", finger_capture),
        WebSocketRoute("/ws/sessions/{session_id}/signature", signature_capture),
        Mount("/static", StaticFiles(directory=STATIC)),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SameOriginGuard, hosts=hosts),
            Middleware(BrowserAuth, logins=logins),
        ],
    )
    app.state.logins = logins
    app.state.client_timeout_s = client_timeout_s
    return app

"""The daemon's server streams, bridged to WebSockets.

Each WebSocket reads its share of a daemon stream (console/shared_streams.py: every page asking for
the same stream shares one): its responses go out as JSON text messages (the preview's frames as
binary messages, see console/preview.py), a failed stream sends `{"error": ...}` with the daemon's
message and reason, and the end of either side ends the other; the last tab to close cancels the
daemon's stream at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import grpc
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from console.limits import BodyRefused, loads
from console.live_print import live_print
from console.messages import error_json, to_json
from console.preview import LatestFrame, ReceivedFrame, preview_message
from console.shared_streams import FeedEnded
from kit.v1 import capture_service_pb2 as cpb
from kitd.client import DaemonError

Command = Callable[[dict[str, Any]], Awaitable[None]]


class MessageRefused(ValueError):
    """A message from the page that is not one it sends (not JSON, nested too deep): ends the socket."""


def parse_command(text: str) -> dict[str, Any] | None:
    """A text message from the page as `{"command": NAME, ...}`; None when it is JSON of another
    shape (answered with a notice); MessageRefused when it is not JSON or nests too deep (the socket
    is closed with the reason, 1007: invalid data).
    """
    try:
        message = loads(text)
    except BodyRefused as refused:
        raise MessageRefused(str(refused)) from None
    if not isinstance(message, dict) or not isinstance(message.get("command"), str):
        return None
    return message


# What a send to a browser that has gone raises, depending on the moment and the server.
GONE = (WebSocketDisconnect, OSError, RuntimeError)


async def _daemon_to_page(ws: WebSocket, outbound: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Runs `outbound` to its end, then tells the page: `{"end": true}`, or the daemon's error."""
    try:
        await outbound()
        await ws.send_json({"end": True})
    except grpc.RpcError as exc:
        with contextlib.suppress(*GONE):
            await ws.send_json({"error": error_json(DaemonError.from_rpc_error(exc))})
    except GONE:
        pass


async def _page_to_daemon(ws: WebSocket, on_text: Callable[[str], Awaitable[None]] | None) -> None:
    """Hands the page's text messages to `on_text` until the page disconnects."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is not None and on_text is not None:
            await on_text(text)


async def run_bridge(
    ws: WebSocket,
    outbound: Callable[[], Coroutine[Any, Any, None]],
    on_text: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    """Runs `outbound` (daemon → page) against the page's messages until one side ends."""
    tasks = [
        asyncio.create_task(_daemon_to_page(ws, outbound)),
        asyncio.create_task(_page_to_daemon(ws, on_text)),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    except MessageRefused as refused:
        with contextlib.suppress(*GONE):
            await ws.close(code=1007, reason=str(refused)[:120])
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(*GONE):
                await ws.close()


async def responses_of(events: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """A page's share of a daemon stream as the stream itself: its end is the end, its error (the
    daemon's) is raised again.
    """
    try:
        async for response in events:
            yield response
    except FeedEnded as ended:
        if ended.error is not None:
            raise ended.error from None


async def json_stream(
    ws: WebSocket,
    events: AsyncIterator[Any],
    convert: Callable[[Any], dict[str, Any]],
    commands: dict[str, Command] | None = None,
) -> None:
    """A page's share of a daemon stream whose responses become JSON messages; `{"command": NAME,
    ...}` from the page runs `commands[NAME]` (e.g. clearing the signature pad while its capture
    streams). The shared stream is not the page's to cancel.
    """

    async def outbound() -> None:
        async for response in responses_of(events):
            await ws.send_json(convert(response))

    await run_bridge(ws, outbound, command_runner(ws, commands or {}))


def command_runner(ws: WebSocket, commands: dict[str, Command]) -> Callable[[str], Awaitable[None]]:
    """What runs the page's text messages: `commands[NAME]` for `{"command": NAME, ...}`, a notice
    for anything else, the socket closed for what is not JSON or nests too deep.
    """

    async def on_text(text: str) -> None:
        message = parse_command(text)
        command = commands.get(message.get("command", "")) if message else None
        if message is None or command is None:
            await ws.send_json({"notice": f"unknown command {text[:80]!r}"})
            return
        try:
            await command(message)
        except grpc.RpcError as exc:
            await ws.send_json({"error": error_json(DaemonError.from_rpc_error(exc))})

    return on_text


async def preview_stream(ws: WebSocket, events: AsyncIterator[Any]) -> None:
    """The face preview: the newest frame when the page has acknowledged enough (`"ack"`)."""
    mailbox = LatestFrame()

    async def read() -> None:
        response: cpb.StreamFacePreviewResponse
        async for response in responses_of(events):
            mailbox.put(response.frame)

    async def outbound() -> None:
        reader = asyncio.create_task(read())
        take: asyncio.Task[ReceivedFrame] | None = None
        try:
            while not reader.done():
                take = asyncio.create_task(mailbox.take())
                await asyncio.wait([take, reader], return_when=asyncio.FIRST_COMPLETED)
                if not take.done():
                    break
                await ws.send_bytes(preview_message(take.result(), mailbox.dropped))
            reader.result()  # the daemon's error, if the stream failed
        finally:
            for task in (reader, take):
                if task is not None:
                    task.cancel()

    async def on_text(text: str) -> None:
        if text == "ack":
            mailbox.ack()

    await run_bridge(ws, outbound, on_text)


def finger_event(response: cpb.CaptureFingerResponse) -> dict[str, Any]:
    """A finger event for the page; a live image goes thinned (console/live_print.py)."""
    kind = response.WhichOneof("event")
    if kind == "preview":
        preview = response.preview
        return {
            "preview": {
                "finger_present": preview.finger_present,
                "live_quality": preview.live_quality,
                "feedback": list(preview.feedback),
                "image": live_print(preview.image),
            }
        }
    return to_json(response)

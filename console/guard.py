"""Refuses requests that did not come from the console's own page.

Loopback keeps other machines out, not other web pages in the operator's browser: a page from
anywhere may send requests to 127.0.0.1, and a rebound DNS name may point there. So the Host header
must name this console, a WebSocket or a POST that carries an Origin must come from it, and a POST
must be JSON (which a foreign page cannot send without a CORS preflight that is never answered).
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from console.messages import console_error


class SameOriginGuard:
    """ASGI middleware that refuses requests not from the console's own page (Host, Origin)."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self.refusal(scope, headers)
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": refusal})
        else:
            response = JSONResponse({"error": console_error(refusal, "PERMISSION_DENIED")}, 403)
            await response(scope, receive, send)

    def refusal(self, scope: Scope, headers: dict[str, str]) -> str | None:
        host = headers.get("host", "")
        if host not in self.hosts:
            return f"unexpected Host {host!r}: open the console at its loopback address"
        origin = headers.get("origin")
        changes = scope["type"] == "websocket" or scope.get("method", "GET") != "GET"
        if changes and origin is not None and origin != f"http://{host}":
            return f"requests from {origin!r} are refused"
        if scope["type"] == "http" and scope.get("method") == "POST":
            content_type = headers.get("content-type", "").split(";", 1)[0].strip()
            if content_type != "application/json":
                return "POST requests must be application/json"
        return None

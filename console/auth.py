"""Who may use the console: whoever holds this launch's secret, and the browsers it logged in.

Loopback keeps other machines out, not other local users: without this, anyone on the board could
drive the kit through the port even though the daemon's socket and token are closed to them. So each
launch makes a secret (printed for the person who started the console) and every request must carry a
session cookie that only a login gives: `GET /login?token=SECRET` (the printed URL; the answer sets
the cookie and moves on to the console), a one-time code from `--open` in the same place, or the
secret typed into the login page (`POST /api/login`). The cookie is HttpOnly (the page's scripts never see it) and SameSite=Strict (no other site's page sends
it); its name carries the port, as cookies are shared by every port of a host.

Open without a session: the login page and what it needs (its script, the stylesheet, the texts).
Everything else — the page, every call, every WebSocket — answers 401 (a WebSocket is closed with
1008 and the reason), and `/` sends the browser to the login page.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from console.limits import BodyRefused, read_json_object
from console.messages import console_error

STATIC = Path(__file__).with_name("static")
# What a browser without a session may fetch: the login page and what it is made of.
OPEN_PATHS = frozenset(
    {"/login", "/api/login", "/static/login.js", "/static/i18n.js", "/static/console.css"}
)
OPEN_PREFIXES = ("/api/texts/",)
ONE_TIME_CODE_LIFETIME_S = 120.0
# What a successful login address answers: the console's page, at once (nothing to read here).
_FORWARD_TO_CONSOLE = (
    '<!doctype html>\n<html><head><meta charset="utf-8">'
    '<meta http-equiv="refresh" content="0;url=/"></head><body></body></html>\n'
)
MAX_SESSIONS = 64


@dataclass
class Logins:
    """This launch's secret, its unused one-time codes and the session ids it handed out."""

    port: int
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    _codes: dict[str, float] = field(default_factory=dict)
    _sessions: dict[str, float] = field(default_factory=dict)

    @property
    def cookie_name(self) -> str:
        return f"kit-console-{self.port}"

    def one_time_code(self) -> str:
        """A code that logs one browser in once, within ONE_TIME_CODE_LIFETIME_S (for --open)."""
        code = secrets.token_urlsafe(32)
        self._codes[code] = time.monotonic() + ONE_TIME_CODE_LIFETIME_S
        return code

    def exchange(self, token: str) -> str | None:
        """A new session id for the launch secret or an unused, unexpired one-time code."""
        now = time.monotonic()
        expiry = self._codes.pop(token, None)  # used once, whatever the outcome
        valid = (expiry is not None and now < expiry) or hmac.compare_digest(
            token.encode(), self.secret.encode()
        )
        if not valid:
            return None
        if len(self._sessions) >= MAX_SESSIONS:  # the oldest browser logs in again
            del self._sessions[min(self._sessions, key=self._sessions.__getitem__)]
        session = secrets.token_urlsafe(32)
        self._sessions[session] = now
        return session

    def is_session(self, session: str) -> bool:
        return session in self._sessions

    def end(self, session: str) -> None:
        self._sessions.pop(session, None)

    def with_cookie(self, response: Response, session: str) -> Response:
        response.set_cookie(
            self.cookie_name, session, path="/", httponly=True, samesite="strict", secure=False
        )
        return response


class BrowserAuth:
    """ASGI middleware: every HTTP and WebSocket request needs a session cookie, but the login's."""

    def __init__(self, app: ASGIApp, logins: Logins) -> None:
        self.app = app
        self.logins = logins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or self._has_session(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "not logged in"})
        elif path in ("/", "/citizen") and scope.get("method") == "GET":
            await RedirectResponse("/login", 303)(scope, receive, send)
        else:
            error = console_error(
                "not logged in: open the login address kit-console printed", "UNAUTHENTICATED"
            )
            await JSONResponse({"error": error}, 401)(scope, receive, send)

    def _has_session(self, scope: Scope) -> bool:
        # HTTPConnection reads the cookies of an HTTP request and of a WebSocket handshake alike.
        session = HTTPConnection(scope).cookies.get(self.logins.cookie_name, "")
        return bool(session) and self.logins.is_session(session)


async def login_page(request: Request) -> Response:
    """The login: `?token=` exchanged for the session cookie, else the page to type the secret."""
    logins: Logins = request.app.state.logins
    token = request.query_params.get("token")
    if token is None:
        return FileResponse(STATIC / "login.html")
    session = logins.exchange(token)
    if session is None:
        return RedirectResponse("/login?refused=1", 303)
    # Not a redirect: when the login was opened from elsewhere (--open's private page, a link), a
    # browser sends no SameSite=Strict cookie along the rest of that navigation, and "/" would answer
    # with the login page. A page of the console's own that moves on is a same-site navigation.
    return logins.with_cookie(HTMLResponse(_FORWARD_TO_CONSOLE), session)


async def login_call(request: Request) -> Response:
    """`POST /api/login {"secret": "..."}` from the login page: 204 with the cookie, or 403."""
    logins: Logins = request.app.state.logins
    try:
        fields = await read_json_object(request)
    except BodyRefused as refused:
        return refused.response()
    secret = fields.get("secret")
    session = logins.exchange(secret) if isinstance(secret, str) else None
    if session is None:
        error = console_error("this is not the console's secret", "PERMISSION_DENIED")
        return JSONResponse({"error": error}, 403)
    return logins.with_cookie(Response(status_code=204), session)


async def logout_call(request: Request) -> Response:
    """`POST /api/logout`: ends the browser's login and drops its cookie (204)."""
    logins: Logins = request.app.state.logins
    logins.end(request.cookies.get(logins.cookie_name, ""))
    response = Response(status_code=204)
    response.delete_cookie(logins.cookie_name, path="/", httponly=True, samesite="strict")
    return response

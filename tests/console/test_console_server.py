"""kit-console's server without a browser: where it may listen, which requests it refuses, its
preview mailbox and its text catalogs."""

from __future__ import annotations

import asyncio
import html
import http.client
import json
import re
import stat
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from console.catalog import CATALOGS, FALLBACK, languages, texts_for
from console.listen import NotLoopback, check_loopback
from console.preview import LatestFrame, ReceivedFrame, preview_message
from kit.v1 import capture_service_pb2 as cpb
from support.console_server import RunningConsole

STATIC = Path(__file__).resolve().parents[2] / "console" / "static"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses_are_accepted(host: str) -> None:
    assert check_loopback(host) == host


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "kit.example", ""])
def test_other_addresses_are_refused_with_the_reason(host: str) -> None:
    with pytest.raises(NotLoopback, match="loopback only"):
        check_loopback(host)


def test_the_command_refuses_a_non_loopback_bind_before_listening(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t\n")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "console.cli", "--socket", str(tmp_path / "kitd.sock")),
            *("--token-file", str(token), "--host", "0.0.0.0", "--port", "0"),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "loopback only" in result.stderr
    assert "Traceback" not in result.stderr


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Console:
    """Requests to a console as its page makes them: one at a time, redirects not followed, and
    the session cookie once logged in."""

    def __init__(self, url: str, cookie: str = "") -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = url.rstrip("/")
        self.host, self.port = parts.hostname or "", parts.port or 80
        self.cookie = cookie

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {**({"Cookie": self.cookie} if self.cookie else {}), **(headers or {})}
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Answer:
        return self.request(
            "POST",
            path,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )

    def logged_in(self, login_url: str) -> Console:
        """This console with the cookie the printed login address sets."""
        parts = urllib.parse.urlsplit(login_url)
        answer = self.get(f"{parts.path}?{parts.query}")
        assert answer.status == 200, answer
        cookie = answer.headers["Set-Cookie"].split(";", 1)[0]
        return Console(self.url, cookie)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningConsole]:
    # No daemon behind it: these requests are refused or answered without one.
    folder = tmp_path_factory.mktemp("console-alone")
    token = folder / "token"
    token.write_text("t\n")
    args = ("--socket", str(folder / "kitd.sock"), "--token-file", str(token))
    with RunningConsole(None, folder / "console.log", args) as console:
        yield console


@pytest.fixture(scope="module")
def client(running: RunningConsole) -> Console:
    return Console(running.url).logged_in(running.login_url)


@pytest.mark.parametrize("page", ["/", "/citizen"])
def test_the_page_is_served_with_a_strict_content_security_policy(
    client: Console, page: str
) -> None:
    response = client.get(page)
    assert response.status == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/static/console.js", "/api/texts/nl"])
def test_every_answer_carries_the_security_headers(client: Console, path: str) -> None:
    response = client.get(path)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_refusal_carries_them_too(client: Console) -> None:
    response = client.get("/", headers={"Host": "evil.example:8470"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_rebound_host_name_is_refused(client: Console) -> None:
    response = client.get("/", headers={"Host": "evil.example:8470"})
    assert response.status == 403
    assert "Host" in response.json()["error"]["message"]


def test_a_call_from_another_origin_is_refused(client: Console) -> None:
    response = client.post("/api/call/ListDevices", {}, {"Origin": "http://evil.example"})
    assert response.status == 403


def test_a_call_that_is_not_json_is_refused(client: Console) -> None:
    response = client.request(
        "POST", "/api/call/ListDevices", b"{}", {"Content-Type": "text/plain"}
    )
    assert response.status == 403
    assert "application/json" in response.json()["error"]["message"]


def test_a_call_the_page_may_not_make_is_not_found(client: Console) -> None:
    response = client.post("/api/call/RunSelfTest", {})
    assert response.status == 404


def test_a_malformed_request_is_refused_with_the_field_named(client: Console) -> None:
    response = client.post("/api/call/CreateSession", {"no_such_field": 1})
    assert response.status == 400
    assert "no_such_field" in response.json()["error"]["message"]


@pytest.mark.parametrize("body", [b"5", b"null", b"[1]", b"{not json"])
def test_a_body_that_is_not_a_json_object_is_refused(client: Console, body: bytes) -> None:
    response = client.request(
        "POST", "/api/call/ListDevices", body, {"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert response.json()["error"]["message"].startswith("ListDevices: ")


def test_an_unreachable_daemon_answers_with_its_status_not_a_trace(client: Console) -> None:
    response = client.post("/api/call/ListDevices", {})
    assert response.status == 503
    error = response.json()["error"]
    assert error["code"] == "UNAVAILABLE"
    assert error["message"]
    assert "Traceback" not in error["message"]


def frame(frame_id: int) -> cpb.FacePreviewFrame:
    return cpb.FacePreviewFrame(frame_id=frame_id)


def test_the_preview_mailbox_keeps_the_newest_frame_and_counts_the_dropped() -> None:
    async def scenario() -> list[int]:
        mailbox = LatestFrame(credits=1)
        mailbox.put(frame(1))
        first = await mailbox.take()
        # No credit left: frames pile up in the daemon's stream order, only the newest is kept.
        for frame_id in (2, 3, 4):
            mailbox.put(frame(frame_id))
        waiting = asyncio.create_task(mailbox.take())
        await asyncio.sleep(0)  # let the waiting take run up to its wait
        assert not waiting.done()
        mailbox.ack()
        second = await waiting
        assert mailbox.dropped == 2
        return [first.frame.frame_id, second.frame.frame_id]

    assert asyncio.run(scenario()) == [1, 4]


def test_a_preview_message_is_the_metadata_length_the_metadata_and_the_jpeg() -> None:
    frame = cpb.FacePreviewFrame(frame_id=7, guidance=["Look at the camera"], ready=False)
    frame.preview.data = b"\xff\xd8jpeg\xff\xd9"
    frame.grabbed_at.FromMilliseconds(1_700_000_000_123)
    message = preview_message(ReceivedFrame(frame, 1_700_000_000_150.0), dropped=3)
    length = int.from_bytes(message[:4], "big")
    meta = json.loads(message[4 : 4 + length])
    assert message[4 + length :] == frame.preview.data
    assert meta["frame_id"] == 7
    assert meta["grabbed_at_ms"] == 1_700_000_000_123
    assert meta["guidance"] == ["Look at the camera"]
    assert meta["dropped"] == 3
    assert meta["face_box"] is None


def test_every_catalog_has_exactly_the_english_keys() -> None:
    english = set(json.loads((CATALOGS / f"{FALLBACK}.json").read_text()))
    assert set(languages()) == {"de", "en", "fr", "nl"}
    for language in languages():
        keys = set(json.loads((CATALOGS / f"{language}.json").read_text()))
        assert keys == english, f"{language}: missing {english - keys}, extra {keys - english}"


def test_every_text_the_page_names_is_in_the_catalog() -> None:
    import re

    english = texts_for("en").texts
    html = (STATIC / "index.html").read_text()
    named = set(re.findall(r'data-i18n(?:-label)?="([^"]+)"', html))
    for script in STATIC.glob("*.js"):
        named |= set(re.findall(r'\bt\("([a-z_.]+)"', script.read_text()))
    assert named, "no text keys found in the page"
    assert named <= set(english), sorted(named - set(english))


@pytest.mark.parametrize(("tag", "language"), [("fr-BE", "fr"), ("nl_BE", "nl"), ("it", "en")])
def test_a_language_tag_picks_its_catalog_or_english(tag: str, language: str) -> None:
    assert texts_for(tag).language == language


# -- who may use the console (the probe: uid nobody drove the kit through the port) --------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/call/ListDevices"),
        ("POST", "/api/call/CancelSession"),
        ("GET", "/static/console.js"),
        ("GET", "/static/index.html"),
        ("POST", "/api/logout"),
    ],
)
def test_without_a_session_every_request_is_refused(
    running: RunningConsole, method: str, path: str
) -> None:
    stranger = Console(running.url)
    headers = {"Content-Type": "application/json"} if method == "POST" else {}
    response = stranger.request(method, path, b"{}" if method == "POST" else None, headers)
    assert response.status == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("page", ["/", "/citizen"])
def test_without_a_session_the_page_sends_the_browser_to_the_login(
    running: RunningConsole, page: str
) -> None:
    response = Console(running.url).get(page)
    assert response.status == 303
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize("path", ["/ws/devices", "/ws/sessions/x/preview", "/ws/sessions/x/finger"])
def test_without_a_session_a_websocket_is_refused(running: RunningConsole, path: str) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with pytest.raises(InvalidStatus) as refused:
        connect(running.url.replace("http://", "ws://").rstrip("/") + path, open_timeout=30)
    assert refused.value.response.status_code == 403


def test_the_printed_login_address_sets_an_httponly_same_site_strict_cookie(
    running: RunningConsole,
) -> None:
    parts = urllib.parse.urlsplit(running.login_url)
    response = Console(running.url).get(f"{parts.path}?{parts.query}")
    # A page of the console's own that moves on to "/", not a redirect: a browser sends no
    # SameSite=Strict cookie along a navigation that began on another site (--open's private page).
    assert response.status == 200
    assert b'http-equiv="refresh" content="0;url=/"' in response.body
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"kit-console-{parts.port}=")
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    # The cookie is a session id, never the secret itself.
    assert running.secret not in cookie


def test_with_the_cookie_the_page_and_the_calls_are_served(client: Console) -> None:
    assert client.get("/").status == 200
    assert client.post("/api/call/ListDevices", {}).status == 503  # no daemon behind this one


@pytest.mark.parametrize("token", ["", "wrong", "a" * 43])
def test_a_wrong_token_logs_nobody_in(running: RunningConsole, token: str) -> None:
    response = Console(running.url).get(f"/login?token={token}")
    assert response.status == 303
    assert response.headers["Location"] == "/login?refused=1"
    assert "Set-Cookie" not in response.headers


def test_the_secret_typed_into_the_login_page_logs_in(running: RunningConsole) -> None:
    stranger = Console(running.url)
    assert stranger.post("/api/login", {"secret": "guess"}).status == 403
    response = stranger.post("/api/login", {"secret": running.secret})
    assert response.status == 204
    cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    assert Console(running.url, cookie).get("/").status == 200


def test_a_made_up_cookie_is_refused(running: RunningConsole) -> None:
    forged = Console(running.url, f"kit-console-{urllib.parse.urlsplit(running.url).port}=forged")
    assert forged.post("/api/call/ListDevices", {}).status == 401


def test_after_logout_the_cookie_no_longer_works(running: RunningConsole) -> None:
    browser = Console(running.url).logged_in(running.login_url)
    assert browser.post("/api/logout", {}).status == 204
    assert browser.post("/api/call/ListDevices", {}).status == 401


def test_the_login_page_and_its_texts_are_open(running: RunningConsole) -> None:
    stranger = Console(running.url)
    for path in ("/login", "/static/login.js", "/static/console.css", "/api/texts/nl"):
        assert stranger.get(path).status == 200, path


def test_open_hands_the_browser_a_one_time_login_address(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t\n")
    seen = tmp_path / "browser-was-sent"
    # BROWSER names the command webbrowser runs, %s the address it is given.
    env = {"BROWSER": f"/bin/sh -c 'echo \"%s\" > {seen}'"}
    args = ("--socket", str(tmp_path / "kitd.sock"), "--token-file", str(token), "--open")
    with RunningConsole(None, tmp_path / "console.log", args, env) as running:
        # The browser's command line (which every local user can read) names a private page, and
        # only that page holds the code.
        handed = seen.read_text().strip()
        assert handed.startswith("file://") and "token=" not in handed
        page = Path(urllib.parse.urlsplit(handed).path)
        assert stat.S_IMODE(page.stat().st_mode) == 0o600
        assert stat.S_IMODE(page.parent.stat().st_mode) == 0o700
        forward = re.search(r'content="0;url=([^"]+)"', page.read_text())
        assert forward is not None
        with_code = html.unescape(forward.group(1))
        assert "/login?token=" in with_code
        assert running.secret not in with_code
        first = Console(running.url).logged_in(with_code)
        assert first.get("/").status == 200
        parts = urllib.parse.urlsplit(with_code)
        again = Console(running.url).get(f"{parts.path}?{parts.query}")
        assert again.headers["Location"] == "/login?refused=1"
    assert not page.parent.exists()  # removed when the console stops


# -- bounded input (the probe: a 300 MB POST took the console to 700 MB) --------------------------


def test_a_body_declared_larger_than_the_cap_is_refused_before_it_is_read(
    client: Console,
) -> None:
    connection = http.client.HTTPConnection(client.host, client.port, timeout=30)
    connection.putrequest("POST", "/api/call/ListDevices")
    for name, value in (
        ("Content-Type", "application/json"),
        ("Content-Length", str(300 * 1024 * 1024)),
        ("Cookie", client.cookie),
    ):
        connection.putheader(name, value)
    connection.endheaders()  # and not one byte of the 300 MB
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"]["code"] == "RESOURCE_EXHAUSTED"
    connection.close()


def test_a_chunked_body_that_grows_past_the_cap_is_refused(client: Console) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"filler": "'
        for _ in range(64):
            yield b"x" * 16384

    connection = http.client.HTTPConnection(client.host, client.port, timeout=30)
    headers = {"Content-Type": "application/json", "Cookie": client.cookie}
    try:
        connection.request(
            "POST", "/api/call/ListDevices", body=chunks(), headers=headers, encode_chunked=True
        )
        response = connection.getresponse()
        assert response.status == 413
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused and closed while we were still sending: equally bounded
    finally:
        connection.close()


@pytest.mark.parametrize("depth", [32, 100_000])
def test_deeply_nested_json_is_refused_with_400_not_a_recursion_error(
    client: Console, depth: int
) -> None:
    # 100,000 levels: a RecursionError (500) before, in 200 KB, under the size cap.
    body = b'{"a":' + b"[" * depth + b"]" * depth + b"}"
    response = client.request(
        "POST", "/api/call/CreateSession", body, {"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert "deeper than 32" in response.json()["error"]["message"]


def test_json_nesting_inside_strings_does_not_count() -> None:
    from console.limits import json_depth

    assert json_depth('{"a": "[[[[[[{{{{", "b": [1, {"c": "\\"]]]"}]}') == 3


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[RunningConsole]:
    token = tmp_path / "token"
    token.write_text("t\n")
    args = ("--socket", str(tmp_path / "kitd.sock"), "--token-file", str(token))
    with RunningConsole(None, tmp_path / "console.log", (*args, "--client-timeout", "1")) as c:
        yield c


def raw_connection(console: RunningConsole) -> Any:
    import socket

    parts = urllib.parse.urlsplit(console.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    return sock


def test_a_client_that_sends_nothing_is_disconnected(impatient: RunningConsole) -> None:
    with raw_connection(impatient) as sock:
        assert sock.recv(1024) == b""  # closed by the console, not by the 60 s socket timeout


def test_a_client_that_trickles_its_headers_is_disconnected(impatient: RunningConsole) -> None:
    host = urllib.parse.urlsplit(impatient.url).netloc
    with raw_connection(impatient) as sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode())
        assert sock.recv(1024) == b""


def test_a_body_that_stops_arriving_is_answered_408(impatient: RunningConsole) -> None:
    client = Console(impatient.url).logged_in(impatient.login_url)
    with raw_connection(impatient) as sock:
        sock.sendall(
            (
                f"POST /api/call/ListDevices HTTP/1.1\r\nHost: {client.host}:{client.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: 100\r\n"
                f'Cookie: {client.cookie}\r\n\r\n{{"a":'
            ).encode()
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = json.loads(response.read())
    assert response.status == 408
    assert body["error"]["code"] == "DEADLINE_EXCEEDED"


def test_a_client_that_hangs_up_mid_body_leaves_no_trace_in_the_log(
    running: RunningConsole, client: Console
) -> None:
    # The login reads a body too, and anyone may call it: no trace for them either.
    for path in ("/api/call/ListDevices", "/api/login", "/api/call/ListDevices", "/api/login"):
        with raw_connection(running) as sock:
            sock.sendall(
                (
                    f"POST {path} HTTP/1.1\r\nHost: {client.host}:{client.port}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: 1000\r\n"
                    f'Cookie: {client.cookie}\r\n\r\n{{"a":'
                ).encode()
            )
    # A later request is answered: the console went on, and its log holds no trace.
    assert client.get("/api/texts/en").status == 200
    assert "Traceback" not in running.log()
    assert "Exception" not in running.log()


def test_a_request_answered_before_its_body_ends_its_connection(running: RunningConsole) -> None:
    # The probe's slow client, without a session: 401 at once, and then the console would wait for
    # the rest of a 100 MB body for as long as the client trickled it.
    import select

    host = urllib.parse.urlsplit(running.url).netloc
    with raw_connection(running) as sock:
        sock.sendall(
            (
                f"POST /api/call/CancelSession HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{{"
            ).encode()
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 401
        response.read()
        closed = False
        for _ in range(40):  # still trickling: each byte would reset uvicorn's keep-alive timer
            try:
                sock.sendall(b" ")
            except OSError:
                closed = True
                break
            readable, _, _ = select.select([sock], [], [], 0.5)
            if readable:
                try:
                    closed = sock.recv(1) == b""
                except ConnectionResetError:
                    closed = True
                break
        assert closed


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1", "soon"])
def test_a_client_timeout_that_would_switch_the_deadline_off_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from console.cli import parse_args

    with pytest.raises(SystemExit) as stopped:
        parse_args(["--client-timeout", value])
    assert stopped.value.code == 2
    assert "--client-timeout" in capsys.readouterr().err

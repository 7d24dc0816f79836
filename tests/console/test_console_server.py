"""kit-console's server without a browser: where it may listen, which requests it refuses, its
preview mailbox and its text catalogs."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request
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
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        request = urllib.request.Request(
            self.url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read())

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Answer:
        return self.request(
            "POST",
            path,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    # No daemon behind it: these requests are refused or answered without one.
    folder = tmp_path_factory.mktemp("console-alone")
    token = folder / "token"
    token.write_text("t\n")
    args = ("--socket", str(folder / "kitd.sock"), "--token-file", str(token))
    with RunningConsole(None, folder / "console.log", args) as running:
        yield Console(running.url)


def test_the_page_is_served_with_a_strict_content_security_policy(client: Console) -> None:
    response = client.get("/")
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

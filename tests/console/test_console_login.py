"""Logging in to kit-console against a running kit: the login page in a real browser, and what the
console's WebSockets do with a session and a message the page never sends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from accessibility_scan import serious_violations
from chromium_browser import needs_chromium
from playwright.sync_api import expect

from console.catalog import texts_for
from support.console_server import RunningConsole


def ws_url(console: RunningConsole, path: str) -> str:
    return console.url.replace("http://", "ws://").rstrip("/") + path


@needs_chromium
@pytest.mark.slow
def test_a_browser_without_a_session_logs_in_with_the_secret_on_the_login_page(
    browser: Any, console: RunningConsole
) -> None:
    texts = texts_for("nl").texts
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{console.url}?lang=nl")
        expect(page).to_have_url(f"{console.url.rstrip('/')}/login")
        page.goto(f"{console.url.rstrip('/')}/login?lang=nl")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator("h1")).to_have_text(texts["login.title"])
        assert not serious_violations(page), serious_violations(page)

        page.get_by_label(texts["login.secret"]).fill("not the secret")
        page.get_by_role("button", name=texts["login.submit"]).click()
        expect(page.get_by_role("alert")).to_have_text(texts["login.refused"])

        page.get_by_label(texts["login.secret"]).fill(console.secret)
        page.get_by_role("button", name=texts["login.submit"]).click()
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator("#start-heading")).to_be_visible()
        # The page's scripts never see the session cookie.
        assert page.evaluate("() => document.cookie") == ""
    finally:
        context.close()


def test_a_websocket_with_a_session_streams_the_daemons_events(console: RunningConsole) -> None:
    from websockets.sync.client import connect

    with connect(
        ws_url(console, "/ws/devices"),
        additional_headers={"Cookie": console.session_cookie()},
        open_timeout=30,
    ) as socket:
        first = json.loads(socket.recv(timeout=30))
        assert "device" in json.dumps(first)


@pytest.mark.parametrize("depth", [33, 20_000])
def test_deeply_nested_json_over_a_websocket_closes_it_with_a_reason(
    console: RunningConsole, depth: int
) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(
        ws_url(console, "/ws/devices"),
        additional_headers={"Cookie": console.session_cookie()},
        open_timeout=30,
    ) as socket:
        socket.send('{"command":' + "[" * depth + "]" * depth + "}")
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                socket.recv(timeout=30)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1007
    assert "deeper than 32" in closed.value.rcvd.reason


def test_a_websocket_message_over_the_size_cap_closes_it(console: RunningConsole) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(
        ws_url(console, "/ws/devices"),
        additional_headers={"Cookie": console.session_cookie()},
        open_timeout=30,
    ) as socket:
        socket.send("x" * (65 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                socket.recv(timeout=30)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009

"""Every page watching the devices shares one daemon stream: more tabs than the daemon's cap of
watching streams per method all get the devices' states, a tab that joins later gets the current
state replayed, and a closed tab leaves the others watching. Before, each WebSocket held a daemon
stream of its own, so the fifth tab was refused (and, before the caps, 15 tabs froze the daemon)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from kitd.server.stream_budget import CAPTURE_RESERVE, UNARY_RESERVE
from support.console_server import RunningConsole
from support.kit import KitUnderTest

DEFAULT_WORKERS = 16
TABS = (DEFAULT_WORKERS - UNARY_RESERVE - CAPTURE_RESERVE) // 2 + 2  # past the per-method cap


@dataclass(frozen=True)
class Console:
    url: str  # ws://host:port
    cookie: str  # the session a login gave

    def watch_devices(self) -> ClientConnection:
        return connect(
            f"{self.url}/ws/devices", additional_headers={"Cookie": self.cookie}, open_timeout=30
        )


def logged_in(console: RunningConsole) -> str:
    """The session cookie the printed login address gives."""
    parts = urllib.parse.urlsplit(console.login_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        response = connection.getresponse()
        assert response.status == 200
        return str(response.headers["Set-Cookie"]).split(";", 1)[0]
    finally:
        connection.close()


@pytest.fixture
def console(kit: KitUnderTest) -> Iterator[Console]:
    assert kit.daemon is not None
    with RunningConsole(kit.daemon.config, kit.root / "console-feed.log") as running:
        ws = running.url.rstrip("/").replace("http://", "ws://", 1)
        yield Console(ws, logged_in(running))


def first_message(tab: ClientConnection) -> dict[str, Any]:
    message = json.loads(tab.recv(timeout=15))
    assert isinstance(message, dict)
    return message


def test_more_tabs_than_the_daemons_cap_all_see_the_devices(console: Console) -> None:
    with ExitStack() as tabs:
        opened = [tabs.enter_context(console.watch_devices()) for _ in range(TABS)]
        for tab in opened:
            message = first_message(tab)
            assert "error" not in message, message
            assert message["event"]["device"]["id"] in {"camera", "fingerprint", "signature_pad"}


def test_a_closed_tab_leaves_the_others_watching(console: Console, kit: KitUnderTest) -> None:
    with console.watch_devices() as staying:
        first_message(staying)
        with console.watch_devices() as leaving:
            first_message(leaving)
        kit.ctl("camera", "unplug")
        try:
            while True:
                message = json.loads(staying.recv(timeout=15))
                assert "error" not in message, message
                if message["event"]["device"]["state"] == "DEVICE_STATE_ABSENT":
                    break
        finally:
            kit.ctl("camera", "replug")
            assert kit.watch is not None and kit.watch.wait("camera", "ready", 30)

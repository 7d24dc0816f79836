"""Every page asking for the same daemon stream shares one: with the daemon's caps at two streams of
a method per caller, six tabs each of the device events, the face preview and the finger capture
all get their stream; a tab that joins later gets the current state replayed, and a closed tab leaves
the others reading. Before, each WebSocket held a daemon stream of its own, so the tabs past the
cap were refused (a second finger capture, busy), and before the caps 15 tabs froze the daemon."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from support.console_server import RunningConsole
from support.kit import KitUnderTest
from support.visit import Visit

CAP = 2  # streams of a method, in all and per caller (the console is one caller)
TABS = 3 * CAP


@dataclass(frozen=True)
class Console:
    url: str  # ws://host:port
    cookie: str  # the session a login gave

    def open(self, path: str) -> ClientConnection:
        return connect(
            f"{self.url}{path}", additional_headers={"Cookie": self.cookie}, open_timeout=30
        )

    def watch_devices(self) -> ClientConnection:
        return self.open("/ws/devices")


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[KitUnderTest]:
    caps = {"streams_per_method": CAP, "streams_per_caller": CAP}
    with KitUnderTest(tmp_path, api=caps) as running:
        yield running


@pytest.fixture
def console(kit: KitUnderTest) -> Iterator[Console]:
    assert kit.daemon is not None
    with RunningConsole(kit.daemon.config, kit.root / "console-feed.log") as running:
        ws = running.url.rstrip("/").replace("http://", "ws://", 1)
        yield Console(ws, running.session_cookie())


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


def test_more_tabs_than_the_cap_all_see_the_same_face_preview(
    console: Console, kit: KitUnderTest
) -> None:
    visit = Visit(kit, "be-kids-id", 6)
    try:
        with ExitStack() as tabs:
            opened = [
                tabs.enter_context(console.open(f"/ws/sessions/{visit.id}/preview?max_size=160"))
                for _ in range(TABS)
            ]
            for tab in opened:
                frame = tab.recv(timeout=30)
                assert isinstance(frame, bytes), frame  # a frame, not an error
    finally:
        visit.cancel()


def test_more_tabs_than_the_cap_all_follow_one_finger_capture(
    console: Console, kit: KitUnderTest
) -> None:
    visit = Visit(kit, "be-eid", 40)
    try:
        with ExitStack() as tabs:
            opened = [
                tabs.enter_context(
                    console.open(f"/ws/sessions/{visit.id}/finger?finger=RIGHT_INDEX")
                )
                for _ in range(TABS)
            ]
            for tab in opened:
                message = first_message(tab)
                assert "error" not in message, message  # one capture, not a busy reader
    finally:
        visit.cancel()

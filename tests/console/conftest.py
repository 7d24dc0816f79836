"""A kit (simulators + daemon), kit-console in front of it and a headless Debian Chromium driving the
page, shared by the console's browser tests. Without /usr/bin/chromium the browser tests skip."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium_browser import CHROMIUM, SKIP_REASON

from support.console_server import RunningConsole
from support.kit import KitUnderTest


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KitUnderTest]:
    with KitUnderTest(tmp_path_factory.mktemp("console-kit")) as running:
        yield running


@pytest.fixture(scope="module")
def console(kit: KitUnderTest) -> Iterator[RunningConsole]:
    assert kit.daemon is not None
    with RunningConsole(kit.daemon.config, kit.root / "console.log") as running:
        yield running


@pytest.fixture(scope="module")
def console_url(console: RunningConsole) -> str:
    return console.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, console: RunningConsole) -> Iterator[Any]:
    # The console's Content-Security-Policy forbids inline scripts, which is how axe-core is injected.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    # Logged in as the operator is: the printed address, exchanged for the session cookie.
    page.goto(console.login_url)
    page.wait_for_url(console.url)  # the login's page moves on to the console by itself
    yield page
    context.close()


@pytest.fixture
def screenshots(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """Keeps a screenshot per step: under $KITD_SCREENSHOTS/<test> when set, else in tmp_path."""
    base = os.environ.get("KITD_SCREENSHOTS")
    folder = Path(base) / request.node.name if base else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    count = [0]

    def shoot(page: Any, name: str) -> Path:
        count[0] += 1
        path = folder / f"{count[0]:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


@pytest.fixture
def no_visit_left(kit: KitUnderTest) -> Iterator[None]:
    """Each browser test starts on a free kit, whatever the previous one left open."""
    yield
    from kit.v1 import capture_service_pb2 as cpb

    client = kit.client
    active = client.capture.GetActiveSession(
        cpb.GetActiveSessionRequest(), metadata=client.metadata, timeout=5
    )
    if active.HasField("session"):
        client.capture.CancelSession(
            cpb.CancelSessionRequest(session_id=active.session.session_id, reason="test ended"),
            metadata=client.metadata,
            timeout=5,
        )
    kit.ctl("camera", "scene")
    kit.ctl("fingerprint", "remove")

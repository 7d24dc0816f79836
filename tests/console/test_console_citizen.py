"""The citizen's page (/citizen) beside the operator's: in the citizen's language whatever the
operator's, it says what to do at each step and shows the photo before it is kept."""

from __future__ import annotations

from typing import Any

import pytest
from chromium_browser import needs_chromium
from one_screen import assert_no_english_or_codes
from playwright.sync_api import expect

from console.catalog import texts_for
from support.console_server import RunningConsole
from support.kit import KitUnderTest

pytestmark = [needs_chromium, pytest.mark.slow, pytest.mark.usefixtures("no_visit_left")]


def test_the_citizen_page_speaks_german_while_the_operator_uses_dutch(
    kit: KitUnderTest, console: RunningConsole, browser: Any, screenshots: Any
) -> None:
    de = texts_for("de").texts
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 800}, has_touch=True
    )
    try:
        operator = context.new_page()
        operator.goto(console.login_url)
        operator.wait_for_url(console.url)
        operator.goto(f"{console.url}?lang=nl")
        expect(operator.locator("body")).to_have_attribute("data-ready", "true")
        # The second screen, in the same browser (the session cookie is the operator's).
        citizen = context.new_page()
        citizen.goto(console.url.rstrip("/") + "/citizen")
        expect(citizen.locator("body")).to_have_attribute("data-ready", "true")

        operator.select_option("#profile", "be-eid")
        operator.fill("#age", "40")
        operator.fill("#operator", "op-tablet")
        operator.select_option("#operator-language", "nl")
        operator.select_option("#citizen-language", "de")
        operator.click("#start")
        expect(operator.locator("html")).to_have_attribute("lang", "nl")

        expect(citizen.locator("html")).to_have_attribute("lang", "de")
        expect(citizen.locator("#citizen-say")).to_have_text(de["citizen.face"])
        assert_no_english_or_codes(citizen, "de", "citizen: photo", foreign=("en", "nl"))
        screenshots(citizen, "citizen-look-here")

        # The photo the operator is looking at is shown to the citizen before it is kept.
        operator.click("#face-capture")
        expect(operator.locator("#face-photo")).to_be_visible(timeout=30_000)
        expect(citizen.locator("#citizen-photo")).to_be_visible()
        expect(citizen.locator("#citizen-say")).to_have_text(de["citizen.photo"])
        citizen.wait_for_function(
            "() => document.getElementById('citizen-photo-image').naturalWidth > 0"
        )
        screenshots(citizen, "citizen-photo")

        operator.click("#photo-accept")
        expect(citizen.locator("#citizen-photo")).to_be_hidden()
        finger = de["finger.FINGER_POSITION_RIGHT_INDEX"]
        expect(citizen.locator("#citizen-say")).to_have_text(
            de["citizen.finger"].format(finger=finger)
        )
        assert_no_english_or_codes(citizen, "de", "citizen: finger", foreign=("en", "nl"))
        screenshots(citizen, "citizen-finger")
    finally:
        context.close()

"""A card delivery through the page: the reference download loaded with the file picker, the 1:1
fingerprint result in words, and the fallback the policy allows when no print matches (the operator's
check against the enrollment photo, with a reason)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium_browser import needs_chromium
from finger_capture import capture_finger
from one_screen import assert_one_screen
from playwright.sync_api import expect

from console.catalog import texts_for
from kit.v1 import capture_service_pb2 as cpb
from support.kit import KitUnderTest
from support.visit import LEFT_INDEX, RIGHT_INDEX

pytestmark = [needs_chromium, pytest.mark.slow, pytest.mark.usefixtures("no_visit_left")]

CITIZEN = "person-0001"  # the simulator's default person: whose fingers go on the glass


@pytest.fixture
def tablet(browser: Any, console_url: str, console: Any) -> Iterator[Any]:
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 800}, has_touch=True
    )
    page = context.new_page()
    page.goto(console.login_url)
    page.wait_for_url(console_url)
    yield page
    context.close()


def start_delivery(page: Any, console_url: str, reference: Path) -> None:
    page.goto(f"{console_url}?lang=nl")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.select_option("#profile", "be-eid-delivery")
    page.fill("#age", "40")
    page.fill("#operator", "op-tablet")
    page.select_option("#operator-language", "nl")
    page.select_option("#citizen-language", "nl")
    page.set_input_files("#reference-file", str(reference))
    page.click("#start")
    expect(page.locator("#step-finger")).to_be_visible()


def test_a_card_delivery_from_a_reference_file_says_the_match_in_words(
    kit: KitUnderTest, console_url: str, tablet: Any, tmp_path: Path, screenshots: Any
) -> None:
    page = tablet
    texts = texts_for("nl").texts
    reference = tmp_path / "APP-2026-0042.kitref"
    reference.write_bytes(kit.delivery_reference(CITIZEN, RIGHT_INDEX, LEFT_INDEX))
    start_delivery(page, console_url, reference)
    right = texts["finger.FINGER_POSITION_RIGHT_INDEX"]
    expect(page.locator("#delivery-result")).to_have_text(
        texts["delivery.asked"].format(finger=right)
    )

    capture_finger(page, kit, RIGHT_INDEX)
    # The match is said beside the next step's action, the photo.
    expect(page.locator("#step-face #status")).to_have_text(
        texts["delivery.matched"].format(finger=right)
    )
    expect(page.locator("#steps li").first).to_contain_text(texts["step.STEP_STATE_DONE"])
    screenshots(page, "delivery-matched")
    expect(page.locator("#step-face")).to_be_visible()
    assert_one_screen(
        page, heading="#face-heading", action="#face-capture", language="nl", where="delivery"
    )


def test_when_no_print_matches_the_operator_checks_the_enrollment_photo_with_a_reason(
    kit: KitUnderTest, console_url: str, tablet: Any, tmp_path: Path, screenshots: Any
) -> None:
    page = tablet
    texts = texts_for("nl").texts
    reference = tmp_path / "APP-2026-0043.kitref"
    reference.write_bytes(kit.delivery_reference(CITIZEN, RIGHT_INDEX, LEFT_INDEX))
    start_delivery(page, console_url, reference)

    for finger in (RIGHT_INDEX,) * 3 + (LEFT_INDEX,) * 3:
        capture_finger(page, kit, finger, identity="someone-else")
    expect(page.locator("#visual-check")).to_be_visible()
    expect(page.locator("#visual-check")).to_contain_text(texts["delivery.no_match_visual"])
    expect(page.locator("#finger-capture")).to_be_hidden()
    # The fingerprint check is never overridden: the policy's fallback is the photo.
    expect(page.locator("#step-override")).to_be_hidden()
    page.wait_for_function("() => document.getElementById('enrollment-photo').naturalWidth > 0")
    screenshots(page, "delivery-visual-check")
    assert_one_screen(
        page,
        heading="#visual-check-heading",
        action="#visual-same",
        language="nl",
        where="visual check",
        axe=True,
    )
    screenshots(page, "delivery-visual-check")

    page.fill("#visual-check-reason", "gezicht en geboortedatum komen overeen met de foto")
    page.click("#visual-same")
    expect(page.locator("#step-face")).to_be_visible()
    session = kit.client.capture.GetActiveSession(
        cpb.GetActiveSessionRequest(), metadata=kit.client.metadata, timeout=5
    ).session
    assert session.delivery_verification.visual_check.confirmed

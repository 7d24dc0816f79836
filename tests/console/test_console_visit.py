"""A whole eID visit driven through kit-console's page in a real (headless) Chromium, against the
simulators and the daemon: device status, the live preview, the photo, a finger retry, the signature
drawn live, the package receipt and the outbox, with an accessibility scan of every screen.

The visit runs once per operator language; the console's own labels are asserted in that language
and the finger to place, which the daemon sends, in that language too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from accessibility_scan import serious_violations
from chromium_browser import needs_chromium
from finger_capture import GOOD, capture_finger
from playwright.sync_api import expect

from console.catalog import texts_for
from kit.v1 import outbox_service_pb2 as opb
from kitd.locale.catalogs import Catalogs
from support.kit import ALL_DEVICES, KitUnderTest
from support.visit import LEFT_INDEX, RIGHT_INDEX

pytestmark = [needs_chromium, pytest.mark.slow, pytest.mark.usefixtures("no_visit_left")]

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# A print that fails the index finger's threshold (30) with a margin: wet, pressed and smudged at the
# generator's lowest quality scores 23-29 (quality 0.05 alone reaches 35 with some placements).
POOR = {"quality": 0.0, "wetness": 1.0, "pressure": 1.0, "smudge": 1.0}


def assert_accessible(page: Any, screen: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"{screen}: {violations}"


def start_visit(page: Any, texts: dict[str, str], language: str) -> None:
    page.select_option("#profile", "be-eid")
    page.fill("#age", "40")
    page.fill("#operator", "op-console")
    page.fill("#reference", "APP-2026-0100")
    page.fill("#citizen-name", "Jan Peeters")
    page.select_option("#operator-language", language)
    page.select_option("#citizen-language", language)
    # From the keyboard: the button takes the focus and Enter starts the visit.
    page.get_by_role("button", name=texts["start.submit"]).focus()
    page.keyboard.press("Enter")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_whole_eid_visit_through_the_page_ends_with_the_package_receipt(
    kit: KitUnderTest, console_url: str, page: Any, screenshots: Any, language: str
) -> None:
    texts = texts_for(language).texts
    page.goto(f"{console_url}?lang={language}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("html")).to_have_attribute("lang", language)

    for device in ALL_DEVICES:
        expect(page.locator(f"#device-{device} .state")).to_have_text(
            texts["state.DEVICE_STATE_READY"]
        )
    expect(page.locator("#start-heading")).to_have_text(texts["start.title"])
    # The screen's heading has the focus; Tab moves to the first field, and the focus is drawn.
    page.keyboard.press("Tab")
    focus = page.evaluate(
        """() => [document.activeElement.id,
                  getComputedStyle(document.activeElement).outlineStyle,
                  parseFloat(getComputedStyle(document.activeElement).outlineWidth)]"""
    )
    assert focus[0] == "profile" and focus[1] != "none" and focus[2] >= 3, focus
    screenshots(page, "start")
    assert_accessible(page, "start")

    start_visit(page, texts, language)
    expect(page.locator("#step-face")).to_be_visible()
    # Frames arrive and are drawn: the counter climbs and the canvas holds a picture.
    page.wait_for_function("() => window.kitConsole.preview.frames >= 3")
    seen = page.evaluate("() => window.kitConsole.preview.frames")
    page.wait_for_function(f"() => window.kitConsole.preview.frames > {seen}")
    expect(page.locator("#face-frames")).to_contain_text(texts["face.frames"].split("{")[0])
    lit = page.evaluate(
        """() => {
            const c = document.getElementById("face-canvas");
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let sum = 0;
            for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
            return sum / (d.length / 4) / 3;
        }"""
    )
    assert lit > 40, f"the preview canvas is dark (mean {lit:.1f}): no frame was drawn"
    expect(page.locator("#face-guidance")).not_to_be_empty()
    # The default scene passes every check: the count says so, and no failed check is listed.
    expect(page.locator("#face-summary")).not_to_be_empty()
    expect(page.locator("#face-checks li")).to_have_count(0)
    screenshots(page, "photo-preview")
    assert_accessible(page, "photo")

    page.get_by_role("button", name=texts["face.capture"], exact=True).click()
    page.get_by_role("button", name=texts["face.accept"]).click(timeout=30_000)
    expect(page.locator("#step-finger")).to_be_visible(timeout=30_000)
    expect(page.locator("#capture-list img")).to_have_count(1)
    expect(page.locator("#finger-capture")).to_have_text(texts["finger.capture"])
    # The finger to place is the daemon's step title, in the operator's language.
    finger = Catalogs.builtin().text("finger.position.right_index", language)
    assert finger
    expect(page.locator("#finger-heading")).to_contain_text(re.compile(re.escape(finger), re.I))
    expect(page.locator("#finger-place")).to_contain_text(
        texts["finger.FINGER_POSITION_RIGHT_INDEX"]
    )

    # A poor print first: the attempt is shown with its quality, and the operator retries.
    capture_finger(page, kit, RIGHT_INDEX, **POOR)
    expect(page.locator("#finger-attempts li")).to_have_count(1)
    expect(page.locator("#finger-attempts li").first).to_have_class("rejected")
    expect(page.locator("#finger-attempts li").first).to_contain_text(texts["finger.rejected"])
    expect(page.locator("#finger-capture")).to_have_text(texts["finger.retry"])
    expect(page.locator("#step-override")).to_be_visible()
    screenshots(page, "finger-retry")
    assert_accessible(page, "finger")

    capture_finger(page, kit, RIGHT_INDEX, **GOOD)
    expect(page.locator("#capture-list img")).to_have_count(2)
    expect(page.locator("#finger-capture")).to_have_text(texts["finger.capture"])
    capture_finger(page, kit, LEFT_INDEX, **GOOD)
    expect(page.locator("#step-signature")).to_be_visible()
    expect(page.locator("#capture-list img")).to_have_count(3)

    # The signature: the pad is seen busy once the capture holds it, then the citizen signs.
    page.get_by_role("button", name=texts["signature.start"]).click()
    expect(page.locator("#device-signature_pad .state")).to_have_text(
        texts["state.DEVICE_STATE_BUSY"]
    )
    kit.ctl("signature_pad", "sign", name="Jan Peeters", press_ok=True)
    page.wait_for_function("() => window.kitConsole.pen.samples > 50")
    expect(page.locator("#step-finalize")).to_be_visible(timeout=30_000)
    expect(page.locator("#capture-list img")).to_have_count(4)
    screenshots(page, "signed")
    assert_accessible(page, "signature")

    page.check("#review-confirm")
    page.get_by_role("button", name=texts["finalize.submit"]).click()
    expect(page.locator("#screen-receipt")).to_be_visible(timeout=60_000)
    package_id = page.locator("#receipt-package").inner_text()
    assert UUID.match(package_id), package_id
    listed = kit.client.outbox.ListPackages(
        opb.ListPackagesRequest(), metadata=kit.client.metadata, timeout=5
    ).packages
    assert package_id in {p.package_id for p in listed}
    expect(page.locator("#receipt-heading")).to_have_text(texts["receipt.title"])
    screenshots(page, "receipt")
    assert_accessible(page, "receipt")

    page.get_by_role("button", name=texts["nav.outbox"]).click()
    expect(page.locator("#outbox-packages")).to_contain_text(package_id)
    screenshots(page, "outbox")
    assert_accessible(page, "outbox")


def test_the_operators_decisions_and_the_daemons_errors_through_the_page(
    kit: KitUnderTest, console_url: str, page: Any, screenshots: Any
) -> None:
    """Override of a rejected photo, finger exceptions, a signature waiver, and a refused capture
    shown as the daemon's message with its reason."""
    assert kit.watch is not None
    texts = texts_for("en").texts
    page.goto(f"{console_url}?lang=en")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    start_visit(page, texts, "en")
    expect(page.locator("#step-face")).to_be_visible()

    # A smiling citizen: the photo taken as it is fails mouth_closed; the operator accepts it.
    kit.ctl("camera", "scene", builtin="smiling")
    try:
        expect(page.locator("#face-checks .check-failed").first).to_be_visible()
        page.get_by_role("button", name=texts["face.capture_now"]).click()
        expect(page.locator("#step-override")).to_be_visible()
        # The failed check by its name in the operator's language, never by its id.
        expect(page.locator("#override-explain")).to_contain_text(texts["check.mouth_closed"])
        expect(page.locator("#override-explain")).not_to_contain_text("mouth_closed")
    finally:
        kit.ctl("camera", "scene")
    assert_accessible(page, "override")
    page.get_by_label(texts["override.reason"], exact=True).fill(
        "the citizen cannot keep a neutral face"
    )
    page.get_by_role("button", name=texts["override.submit"]).click()
    expect(page.locator("#step-finger")).to_be_visible()
    expect(page.locator("#step-override")).to_be_hidden()

    # An amputated right index, chosen on the hand diagram: the page asks for the policy's next
    # finger of that hand.
    asked = page.locator("#finger-place").inner_text()
    page.click("#hand-RIGHT_INDEX")
    page.locator("#exception-panel").get_by_label(
        texts["finger.exception_kind"], exact=True
    ).select_option("AMPUTATED")
    page.locator("#exception-panel").get_by_label(
        texts["finger.exception_reason"], exact=True
    ).fill("amputated 2019")
    assert_accessible(page, "finger exception")
    page.get_by_role("button", name=texts["finger.exception_record"], exact=True).click()
    expect(page.locator("#finger-place")).not_to_have_text(asked)

    # Both hands temporarily unable: no prints, a 12-month card; then the signature is waived.
    page.click("#hand-RIGHT_MIDDLE")
    page.locator("#exception-panel").get_by_label(
        texts["finger.exception_kind"], exact=True
    ).select_option("TEMPORARILY_UNABLE")
    page.locator("#exception-panel").get_by_label(
        texts["finger.exception_reason"], exact=True
    ).fill("both hands in plaster")
    page.get_by_role("button", name=texts["finger.exception_record"], exact=True).click()
    expect(page.locator("#step-signature")).to_be_visible()
    page.locator("#signature-waiver summary").click()
    page.locator("#step-signature").get_by_label(
        texts["signature.waiver_reason"], exact=True
    ).select_option("ILLNESS")
    page.locator("#step-signature").get_by_label(texts["signature.waiver_note"], exact=True).fill(
        "tremor"
    )
    assert_accessible(page, "signature waiver")
    page.get_by_role("button", name=texts["signature.waive"]).click()
    expect(page.locator("#step-finalize")).to_be_visible()

    # The review lists every decision with its reason before anything is sealed.
    decisions = page.locator("#review-decisions")
    override = decisions.locator("[data-decision=override]")
    expect(override).to_have_count(1)
    expect(override).to_contain_text("the citizen cannot keep a neutral face")
    exceptions = decisions.locator("[data-decision=exception]")
    expect(exceptions).to_have_count(2)
    expect(exceptions.first).to_contain_text(texts["finger.FINGER_POSITION_RIGHT_INDEX"])
    expect(exceptions.first).to_contain_text(texts["exception.AMPUTATED"])
    expect(exceptions.first).to_contain_text("amputated 2019")
    expect(exceptions.nth(1)).to_contain_text(texts["exception.TEMPORARILY_UNABLE"])
    expect(exceptions.nth(1)).to_contain_text("both hands in plaster")
    expect(decisions.locator("[data-decision=waiver]")).to_contain_text("tremor")
    photo = page.locator("#review-steps [data-step=face]")
    expect(photo).to_contain_text(texts["review.overridden"].format(n=1))
    # Sealing asks for the explicit confirmation first.
    expect(page.locator("#finalize")).to_be_disabled()
    screenshots(page, "review")
    assert_accessible(page, "review")
    page.check("#review-confirm")
    page.get_by_role("button", name=texts["finalize.submit"]).click()
    expect(page.locator("#screen-receipt")).to_be_visible(timeout=60_000)
    expect(page.locator("#receipt-validity")).to_have_text(texts["receipt.months"].format(n=12))
    expect(page.locator("#receipt-reference")).to_have_text("APP-2026-0100")
    screenshots(page, "receipt-12-months")

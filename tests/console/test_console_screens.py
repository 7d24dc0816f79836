"""The console as an operator's tablet app: one screen per step at 1280x800 landscape and 800x1280
portrait, in Dutch and in French. At every step of a whole eID visit the main action and its feedback
are inside the viewport without scrolling, the focus is on the step's heading, the page holds no English
and no code, and axe finds nothing serious (tests/console/one_screen.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chromium_browser import needs_chromium
from finger_capture import capture_finger
from one_screen import assert_in_viewport, assert_one_screen
from playwright.sync_api import expect

from console.catalog import texts_for
from support.console_server import RunningConsole
from support.kit import KitUnderTest
from support.visit import LEFT_INDEX, RIGHT_INDEX, RIGHT_MIDDLE

pytestmark = [needs_chromium, pytest.mark.slow, pytest.mark.usefixtures("no_visit_left")]

LANDSCAPE = {"width": 1280, "height": 800}
PORTRAIT = {"width": 800, "height": 1280}


@pytest.fixture
def tablet(browser: Any, console: RunningConsole, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A touch tablet of the parametrized size, logged in to the console."""
    viewport = request.param
    context = browser.new_context(bypass_csp=True, viewport=viewport, has_touch=True)
    page = context.new_page()
    page.goto(console.login_url)
    page.wait_for_url(console.url)
    yield page
    context.close()


@pytest.mark.parametrize(
    ("language", "tablet"),
    [
        ("nl", LANDSCAPE),
        ("fr", PORTRAIT),
        ("fr", LANDSCAPE),
        ("nl", PORTRAIT),
    ],
    ids=["nl-landscape", "fr-portrait", "fr-landscape", "nl-portrait"],
    indirect=["tablet"],
)
def test_every_step_of_a_visit_is_one_screen_in_the_operators_language(
    kit: KitUnderTest, console_url: str, tablet: Any, screenshots: Any, language: str
) -> None:
    page = tablet
    texts = texts_for(language).texts
    page.goto(f"{console_url}?lang={language}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#start-heading")).to_be_focused()
    assert_one_screen(
        page, heading="#start-heading", action="#start", language=language, where="start"
    )
    screenshots(page, "start")

    page.select_option("#profile", "be-eid")
    page.fill("#age", "40")
    page.fill("#operator", "op-tablet")
    page.fill("#reference", "APP-2026-0300")
    page.fill("#citizen-name", "Jan Peeters")
    page.select_option("#operator-language", language)
    page.select_option("#citizen-language", language)
    page.click("#start")

    expect(page.locator("#step-face")).to_be_visible()
    page.wait_for_function("() => window.kitConsole.preview.frames >= 3")
    expect(page.locator("#face-heading")).to_be_focused()
    expect(page.locator("#steps li[aria-current=step]")).to_have_count(1)
    assert_one_screen(
        page, heading="#face-heading", action="#face-capture", language=language, where="photo"
    )
    screenshots(page, "photo")

    page.click("#face-capture")
    # The photo as it will be printed, for accept or retake.
    expect(page.locator("#face-photo")).to_have_class("photo accepted", timeout=30_000)
    assert_one_screen(
        page, heading="#face-heading", action="#photo-accept", language=language, where="the photo"
    )
    screenshots(page, "photo-taken")
    page.click("#photo-accept")
    expect(page.locator("#step-finger")).to_be_visible()
    expect(page.locator("#finger-heading")).to_be_focused()
    assert_one_screen(
        page,
        heading="#finger-heading",
        action="#finger-capture",
        language=language,
        where="right finger",
    )
    screenshots(page, "finger")
    capture_finger(page, kit, RIGHT_INDEX)
    # The next finger is a new step: its heading takes the focus again.
    expect(page.locator("#finger-heading")).to_be_focused()
    expect(page.locator("#status")).not_to_be_empty()
    assert_one_screen(
        page,
        heading="#finger-heading",
        action="#finger-capture",
        language=language,
        where="left finger",
        axe=False,
    )
    capture_finger(page, kit, LEFT_INDEX)

    expect(page.locator("#step-signature")).to_be_visible()
    expect(page.locator("#signature-heading")).to_be_focused()
    assert_one_screen(
        page,
        heading="#signature-heading",
        action="#signature-start",
        language=language,
        where="signature",
    )
    page.click("#signature-start")
    expect(page.locator("#device-signature_pad .state")).to_have_text(
        texts["state.DEVICE_STATE_BUSY"]
    )
    kit.ctl("signature_pad", "sign", name="Jan Peeters", press_ok=True)
    expect(page.locator("#step-finalize")).to_be_visible(timeout=30_000)
    expect(page.locator("#finalize-heading")).to_be_focused()
    assert_one_screen(
        page, heading="#finalize-heading", action="#finalize", language=language, where="finalize"
    )
    screenshots(page, "finalize")

    page.check("#review-confirm")
    page.click("#finalize")
    expect(page.locator("#screen-receipt")).to_be_visible(timeout=60_000)
    expect(page.locator("#receipt-heading")).to_be_focused()
    # The receipt names the visit and where its package is; the journey starts sealed.
    expect(page.locator("#receipt-reference")).to_have_text("APP-2026-0300")
    expect(page.locator("#journey-sealed")).to_have_attribute("data-reached", "true")
    assert_one_screen(
        page, heading="#receipt-heading", action="#new-visit", language=language, where="receipt"
    )
    screenshots(page, "receipt")


def start_at_the_fingers(page: Any, console_url: str, language: str) -> None:
    """A visit started in `language` with its photo taken: the page asks for the right index."""
    page.goto(f"{console_url}?lang={language}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.select_option("#profile", "be-eid")
    page.fill("#age", "40")
    page.fill("#operator", "op-tablet")
    page.fill("#reference", "APP-2026-0301")
    page.select_option("#operator-language", language)
    page.select_option("#citizen-language", language)
    page.click("#start")
    page.click("#face-capture")
    page.click("#photo-accept", timeout=30_000)
    expect(page.locator("#step-finger")).to_be_visible()


@pytest.mark.parametrize("tablet", [LANDSCAPE], ids=["landscape"], indirect=True)
def test_an_unplugged_reader_disables_the_capture_and_says_so_in_place_until_it_is_back(
    kit: KitUnderTest, console_url: str, tablet: Any, screenshots: Any
) -> None:
    assert kit.watch is not None
    page = tablet
    texts = texts_for("nl").texts
    start_at_the_fingers(page, console_url, "nl")
    expect(page.locator("#finger-capture")).to_be_enabled()
    expect(page.locator("#paused")).to_be_hidden()

    kit.ctl("fingerprint", "unplug")
    try:
        expect(page.locator("#device-fingerprint .state")).to_have_text(
            texts["state.DEVICE_STATE_ABSENT"]
        )
        # The device says why and what to do, from the catalog, not the driver's English.
        expect(page.locator("#device-fingerprint .cause")).to_contain_text(
            texts["cause.DEVICE_REASON_UNPLUGGED"]
        )
        expect(page.locator("#finger-capture")).to_be_disabled()
        expect(page.locator("#paused")).to_have_text(texts["paused.CAPTURE_KIND_FINGER"])
        expect(page.locator("#steps li[aria-current=step]")).to_contain_text(
            texts["step.STEP_STATE_PAUSED"]
        )
        assert_one_screen(
            page,
            heading="#finger-heading",
            action="#finger-capture",
            language="nl",
            where="reader unplugged",
        )
        screenshots(page, "reader-unplugged")
        # Should a capture still reach the daemon (a race with the event), its refusal is said
        # in Dutch with what to do, naming the device as the screens do; the driver's English
        # words stay in the metadata.
        said = page.evaluate(
            """() => window.kitConsole.errorText({
                code: "UNAVAILABLE", reason: "ERROR_REASON_DEVICE_GONE",
                message: "toestel niet bereikbaar (vingerafdruklezer): sluit het opnieuw aan",
                metadata: {device: "fingerprint", detail: "No such device"}})"""
        )
        assert said == texts["error.ERROR_REASON_DEVICE_GONE"].format(
            device=texts["device.fingerprint"]
        )
    finally:
        kit.ctl("fingerprint", "replug")
    assert kit.watch.wait("fingerprint", "ready", 10)
    expect(page.locator("#device-fingerprint .state")).to_have_text(
        texts["state.DEVICE_STATE_READY"]
    )
    expect(page.locator("#device-fingerprint .cause")).to_have_count(0)
    expect(page.locator("#paused")).to_be_hidden()
    expect(page.locator("#finger-capture")).to_be_enabled()
    # Back where it was: the finger can be captured.
    capture_finger(page, kit, RIGHT_INDEX)
    expect(page.locator("#steps li[aria-current=step]")).not_to_contain_text(
        texts["step.STEP_STATE_PAUSED"]
    )


@pytest.mark.parametrize("tablet", [PORTRAIT], ids=["portrait"], indirect=True)
def test_a_photo_that_timed_out_looks_rejected_says_why_and_is_retaken(
    kit: KitUnderTest, console_url: str, tablet: Any, screenshots: Any
) -> None:
    page = tablet
    texts = texts_for("fr").texts
    page.goto(f"{console_url}?lang=fr")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.select_option("#profile", "be-eid")
    page.fill("#age", "40")
    page.fill("#operator", "op-tablet")
    page.select_option("#operator-language", "fr")
    page.select_option("#citizen-language", "fr")
    page.click("#start")
    expect(page.locator("#step-face")).to_be_visible()

    # A smiling citizen, taken as it is: the crop is shown rejected, with the failed check by name.
    kit.ctl("camera", "scene", builtin="smiling")
    try:
        expect(page.locator("#face-checks .check-failed").first).to_be_visible()
        # "Take the photo" looks for a compliant picture for 10 s, and says so while it looks.
        page.click("#face-capture")
        expect(page.locator("#status")).to_have_text(texts["face.looking"].format(s=10))
        photo = page.locator("#face-photo")
        expect(photo).to_have_class("photo rejected", timeout=30_000)
        expect(photo).to_contain_text(texts["face.rejected"].format(n=1))
        # Nothing compliant came in time: the page says what happened.
        expect(page.locator("#face-verdict")).to_have_text(texts["face.timeout"].format(s=10))
        expect(page.locator("#face-why [data-check=mouth_closed]")).to_contain_text(
            texts["check.mouth_closed"]
        )
        # No accept without a reason: the override is beside it, and the retake.
        expect(page.locator("#photo-accept")).to_be_hidden()
        expect(page.locator("#step-override")).to_be_visible()
        expect(page.locator("#photo-retake")).to_be_enabled()
        # The crop as printed: 35 x 45 mm, drawn at that aspect.
        ratio = page.evaluate(
            """() => { const i = document.getElementById("face-photo-image");
                       return [i.naturalWidth / i.naturalHeight, i.width / i.height]; }"""
        )
        assert abs(ratio[0] - 35 / 45) < 0.01 and abs(ratio[1] - 35 / 45) < 0.01, ratio
        assert_one_screen(
            page,
            heading="#face-heading",
            action="#photo-retake",
            language="fr",
            where="rejected photo",
        )
        screenshots(page, "photo-rejected")
    finally:
        kit.ctl("camera", "scene")

    page.click("#photo-retake")
    expect(page.locator("#face-canvas")).to_be_visible()
    expect(page.locator("#face-photo")).to_be_hidden()
    # Taken as it is this time: the default scene is compliant.
    page.click("#face-capture-now")
    expect(photo).to_have_class("photo accepted", timeout=30_000)
    expect(photo).to_contain_text(texts["face.accepted"].format(n=2))
    page.click("#photo-accept")
    expect(page.locator("#step-finger")).to_be_visible()
    expect(page.locator("#steps li").first).to_contain_text(texts["step.STEP_STATE_DONE"])


@pytest.mark.parametrize("tablet", [LANDSCAPE], ids=["landscape"], indirect=True)
def test_a_finger_exception_is_chosen_on_the_hand_diagram_with_no_default_kind(
    kit: KitUnderTest, console_url: str, tablet: Any, screenshots: Any
) -> None:
    page = tablet
    texts = texts_for("nl").texts
    start_at_the_fingers(page, console_url, "nl")
    expect(page.locator("#hand-RIGHT_INDEX")).to_have_attribute("data-state", "asked")
    expect(page.locator("#hand-LEFT_INDEX")).to_have_attribute("data-state", "none")

    page.click("#hand-RIGHT_INDEX")
    panel = page.locator("#exception-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#exception-heading")).to_contain_text(
        texts["finger.FINGER_POSITION_RIGHT_INDEX"]
    )
    expect(page.locator("#hand-RIGHT_INDEX")).to_have_attribute("aria-pressed", "true")
    assert_one_screen(
        page,
        heading="#exception-heading",
        action="#finger-capture",
        language="nl",
        where="finger exception",
    )
    screenshots(page, "finger-exception")
    # No kind is chosen for the operator: recording without one is refused, in Dutch, beside it.
    expect(page.locator("#exception-kind")).to_have_value("")
    page.fill("#exception-reason", "amputatie 2019")
    page.get_by_role("button", name=texts["finger.exception_record"], exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(texts["finger.exception_choose_first"])
    expect(page.locator("#hand-RIGHT_INDEX")).to_have_attribute("data-state", "asked")
    assert_in_viewport(page, "#error", "exception refused")

    page.select_option("#exception-kind", "AMPUTATED")
    page.get_by_role("button", name=texts["finger.exception_record"], exact=True).click()
    expect(panel).to_be_hidden()
    expect(page.locator("#hand-RIGHT_INDEX")).to_have_attribute("data-state", "excepted")
    expect(page.locator("#hand-RIGHT_MIDDLE")).to_have_attribute("data-state", "asked")
    expect(page.locator("#finger-place")).to_contain_text(
        texts["finger.FINGER_POSITION_RIGHT_MIDDLE"]
    )

    # The middle finger captured: ticked on the diagram, the left index asked next.
    capture_finger(page, kit, RIGHT_MIDDLE)
    expect(page.locator("#hand-RIGHT_MIDDLE")).to_have_attribute("data-state", "done")
    # The reader's live image was painted: a print has dark ridges on the white canvas.
    assert page.evaluate("() => window.kitConsole.state.livePrints") >= 1
    darkest = page.evaluate(
        """() => {
            const c = document.getElementById("finger-print");
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let low = 255;
            for (let i = 0; i < d.length; i += 4) low = Math.min(low, d[i]);
            return low;
        }"""
    )
    assert darkest < 128, f"no print on the live canvas (darkest pixel {darkest})"
    expect(page.locator("#hand-LEFT_INDEX")).to_have_attribute("data-state", "asked")


@pytest.mark.parametrize("tablet", [LANDSCAPE], ids=["landscape"], indirect=True)
def test_after_a_reload_the_open_visit_is_named_with_what_it_holds_and_the_operator_is_remembered(
    kit: KitUnderTest, console_url: str, tablet: Any, screenshots: Any
) -> None:
    page = tablet
    texts = texts_for("nl").texts
    start_at_the_fingers(page, console_url, "nl")
    capture_finger(page, kit, RIGHT_INDEX)
    expect(page.locator("#hand-LEFT_INDEX")).to_have_attribute("data-state", "asked")

    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#start-heading")).to_be_focused()
    # The operator id of the last visit on this kit is filled in.
    expect(page.locator("#operator")).to_have_value("op-tablet")
    # The open visit by its document and reference, and each step as it stands.
    open_visit = page.locator("#active-visit")
    expect(open_visit).to_be_visible()
    expect(page.locator("#active-visit-text")).to_contain_text("APP-2026-0301")
    expect(page.locator("#active-visit-text")).to_contain_text(texts["document.be-eid"])
    steps = page.locator("#active-visit-steps li")
    expect(steps).to_have_count(4)
    expect(steps.nth(0)).to_contain_text(texts["step.STEP_STATE_DONE"])
    expect(steps.nth(1)).to_contain_text(texts["step.STEP_STATE_DONE"])
    expect(steps.nth(2)).to_contain_text(texts["step.STEP_STATE_PENDING"])
    assert_one_screen(
        page, heading="#start-heading", action="#resume", language="nl", where="resume"
    )
    screenshots(page, "resume")

    page.click("#resume")
    expect(page.locator("#step-finger")).to_be_visible()
    expect(page.locator("#finger-heading")).to_be_focused()
    expect(page.locator("#hand-RIGHT_INDEX")).to_have_attribute("data-state", "done")
    expect(page.locator("#hand-LEFT_INDEX")).to_have_attribute("data-state", "asked")

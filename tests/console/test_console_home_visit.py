"""A home visit through kit-console's page in a headless Chromium: the eligibility form appears for a
policy that asks for it, finalize waits for it, and the receipt offers the citizen's printable summary
in the citizen's language, on a page that runs no script."""

from __future__ import annotations

from typing import Any

import pytest
from accessibility_scan import serious_violations
from chromium_browser import needs_chromium
from finger_capture import capture_finger
from playwright.sync_api import expect

from console.catalog import texts_for
from support.kit import KitUnderTest
from support.visit import LEFT_INDEX, RIGHT_INDEX

pytestmark = [needs_chromium, pytest.mark.slow, pytest.mark.usefixtures("no_visit_left")]


def test_a_home_visit_records_its_eligibility_and_offers_the_citizens_summary(
    kit: KitUnderTest, console_url: str, page: Any, screenshots: Any
) -> None:
    texts = texts_for("nl").texts
    page.goto(f"{console_url}?lang=nl")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.select_option("#profile", "be-eid-home-visit")
    page.fill("#age", "84")
    page.fill("#operator", "op-console")
    page.fill("#reference", "APP-2026-0200")
    page.select_option("#operator-language", "nl")
    page.select_option("#citizen-language", "fr")
    page.get_by_role("button", name=texts["start.submit"]).click()

    # What the home visit still lacks stays in view above every step; the form waits for the review.
    expect(page.locator("#eligibility-summary")).to_be_visible()
    evidence = texts["evidence.RECORD"]
    expect(page.locator("#eligibility-summary")).to_contain_text(evidence)
    page.get_by_role("button", name=texts["face.capture"], exact=True).click()
    page.get_by_role("button", name=texts["face.accept"]).click(timeout=30_000)
    expect(page.locator("#step-finger")).to_be_visible(timeout=30_000)
    capture_finger(page, kit, RIGHT_INDEX)
    capture_finger(page, kit, LEFT_INDEX)
    page.get_by_role("button", name=texts["signature.start"]).click()
    expect(page.locator("#device-signature_pad .state")).to_have_text(
        texts["state.DEVICE_STATE_BUSY"]
    )
    kit.ctl("signature_pad", "sign", name="Jan Peeters", press_ok=True)
    expect(page.locator("#step-finalize")).to_be_visible(timeout=30_000)

    # Sealing before the eligibility is on record is refused with the daemon's reason.
    page.check("#review-confirm")
    page.get_by_role("button", name=texts["finalize.submit"]).click()
    expect(page.locator("#error")).to_have_attribute("data-reason", "ERROR_REASON_POLICY_VIOLATION")
    expect(page.locator("#eligibility")).to_be_visible()
    expect(page.locator("#eligibility-status")).to_contain_text(evidence)

    page.locator("#eligibility-record summary").click()
    page.fill("#eligibility-reference", "FORM-2026-301")
    page.select_option("#eligibility-filer", "WELFARE_SERVICE")
    page.fill("#eligibility-organisation", "OCMW Brugge")
    page.fill("#eligibility-date", "2026-11-02")
    page.select_option("#eligibility-place", "PSYCHIATRIC_CARE_HOME")
    page.fill("#eligibility-facility", "PVT De Linde")
    page.get_by_role("button", name=texts["eligibility.record"]).click()
    expect(page.locator("#eligibility-status")).to_have_text(texts["eligibility.complete"])
    screenshots(page, "eligibility")
    assert not serious_violations(page)

    page.check("#review-confirm")
    page.get_by_role("button", name=texts["finalize.submit"]).click()
    expect(page.locator("#screen-receipt")).to_be_visible(timeout=60_000)
    link = page.locator("#receipt-summary")
    expect(link).to_have_text(texts["receipt.summary"])
    response = page.request.get(console_url.rstrip("/") + str(link.get_attribute("href")))
    assert response.ok
    assert "script-src" not in response.headers["content-security-policy"]
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    html = response.text()
    assert "Récapitulatif de votre demande" in html  # the citizen's language
    assert "maison de soins psychiatriques" in html and "PVT De Linde" in html
    assert "<script" not in html and "<img" not in html

"""What every screen of the console must hold on a tablet, asserted in the browser: the main action and
its feedback inside the viewport without scrolling (element boxes), the focus on the screen's heading,
no English and no error code in the operator's language (the rendered text), nothing serious for axe."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from accessibility_scan import serious_violations

from kitd.locale.catalogs import Catalogs

ROOT = Path(__file__).resolve().parents[2]
# A code leaking into the page: an API enum or an id such as a check's (`mouth_closed`).
CODE = re.compile(r"ERROR_REASON_|[A-Z]+_STATE_|\b[a-z]+_[a-z]+(?:_[a-z]+)*\b")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# Words that read the same in the languages, and the languages' own names (shown in their language).
SAME_IN_EVERY_LANGUAGE = ("language.",)


def _console_catalog(language: str) -> dict[str, str]:
    texts: dict[str, str] = json.loads(
        (ROOT / "console" / "catalogs" / f"{language}.json").read_text(encoding="utf-8")
    )
    return texts


@cache
def english_phrases(language: str, foreign: str = "en") -> tuple[str, ...]:
    """The texts of both catalogs (the console's and the daemon's) in the `foreign` language that
    `language` says differently: the longest literal run of each, when long enough to be a phrase."""
    phrases: set[str] = set()
    console_en, console_other = _console_catalog(foreign), _console_catalog(language)
    daemon = Catalogs.builtin()
    pairs = [
        (text, console_other.get(key, ""))
        for key, text in console_en.items()
        if not key.startswith(SAME_IN_EVERY_LANGUAGE)
    ]
    pairs += [(daemon.text(i, foreign) or "", daemon.text(i, language) or "") for i in daemon.ids()]
    for english, other in pairs:
        if english == other:
            continue
        run = max(PLACEHOLDER.split(english), key=len).strip(" :.,—()")
        if len(run) >= 12 and run not in other:
            phrases.add(run)
    return tuple(sorted(phrases))


def rendered_text(page: Any) -> str:
    """Everything a person can read on the page: its text, and the options of its lists."""
    text: str = page.evaluate(
        """() => [document.body.innerText,
                  ...[...document.querySelectorAll("select")].flatMap(
                        (s) => [...s.options].map((o) => o.text)),
                  document.title].join("\\n")"""
    )
    return text


def assert_no_english_or_codes(
    page: Any, language: str, where: str, foreign: tuple[str, ...] = ("en",)
) -> None:
    """No code and no phrase of the `foreign` languages (English by default) on the page."""
    text = rendered_text(page)
    codes = sorted(set(CODE.findall(text)))
    assert not codes, f"{where}: codes in the page: {codes}"
    for other in foreign:
        found = [p for p in english_phrases(language, other) if p in text]
        assert not found, f"{where}: {other} in a {language} page: {found}"


def assert_in_viewport(page: Any, selector: str, where: str) -> None:
    box = page.evaluate(
        """(selector) => {
            const r = document.querySelector(selector).getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight];
        }""",
        selector,
    )
    left, top, right, bottom, width, height = box
    assert left >= 0 and top >= 0 and right <= width and bottom <= height, (
        f"{where}: {selector} at {box[:4]} is outside the {width}x{height} viewport"
    )


def assert_one_screen(
    page: Any, *, heading: str, action: str, language: str, where: str, axe: bool = True
) -> None:
    """The screen `where` fits the viewport: `action` and the feedback beside it are visible without
    scrolling, the focus is on `heading`, the text is all in `language`."""
    size = page.evaluate(
        """() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,
                  innerWidth, innerHeight]"""
    )
    assert size[0] <= size[2] and size[1] <= size[3], f"{where}: the page scrolls: {size}"
    assert_in_viewport(page, action, where)
    assert_in_viewport(page, "#feedback", where)
    focused = page.evaluate("() => document.activeElement.id")
    assert focused == heading.lstrip("#"), f"{where}: the focus is on {focused!r}, not {heading}"
    assert_no_english_or_codes(page, language, where)
    if axe:
        violations = serious_violations(page)
        assert not violations, f"{where}: {violations}"

"""The summary as one printable HTML page (A4, no script, no image), rendered in one language."""

from __future__ import annotations

from babel.dates import format_date

from kitd.locale.catalogs import Texts
from kitd.locale.message import Message
from kitd.package.html_template import Html, join, render
from kitd.summary.content import SummaryContent

_STYLE = """
@page { size: A4; margin: 18mm; }
body { font-family: system-ui, sans-serif; color: #111; max-width: 42rem; margin: 1.5rem auto;
line-height: 1.45; }
h1 { font-size: 1.35rem; margin-bottom: .2rem; } h2 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; } th, td { text-align: left; padding: .2rem .8rem .2rem 0;
vertical-align: top; } th { font-weight: 600; }
.note { font-size: .85rem; color: #444; border-top: 1px solid #999; margin-top: 2rem; padding-top: .5rem; }
"""

_PAGE = """<!doctype html>
<html lang="$lang"><head><meta charset="utf-8"><title>$title</title>
<style>$style</style></head><body>
<h1>$title</h1>
<p>$intro</p>
<table>$facts</table>
<h2>$captured_heading</h2><ul>$captured</ul>
<h2>$recorded_heading</h2><ul>$recorded</ul>
<h2>$next_heading</h2><p>$next_steps</p>
<p class="note">$note</p>
</body></html>
"""


def _text(texts: Texts, value: Message | str) -> str:
    return texts(value) if isinstance(value, Message) else value


def _items(texts: Texts, messages: tuple[Message, ...], empty: str) -> Html:
    lines = [texts(m) for m in messages] or [texts.id(empty)]
    return join(render("<li>$line</li>", line=line) for line in lines)


def summary_page(content: SummaryContent, texts: Texts) -> str:
    """The page in `texts`' language."""
    language = texts.language
    visit_date = format_date(content.visit_date, format="long", locale=language)
    document = _text(texts, content.document)
    facts: list[tuple[str, str]] = [
        (texts.id("summary.label.document"), document),
        (texts.id("summary.label.reference"), content.application_reference or "—"),
        (texts.id("summary.label.date"), visit_date),
    ]
    if content.place is not None:
        place = texts(content.place)
        facts.append(
            (
                texts.id("summary.label.place"),
                f"{place} — {content.facility}" if content.facility else place,
            )
        )
    facts.append((texts.id("summary.label.package"), content.package_id))
    return render(
        _PAGE,
        lang=language,
        style=Html(_STYLE),
        title=texts.id("summary.title"),
        intro=texts.id("summary.intro", document=document, date=visit_date),
        facts=join(
            render('<tr><th scope="row">$name</th><td>$value</td></tr>', name=name, value=value)
            for name, value in facts
        ),
        captured_heading=texts.id("summary.heading.captured"),
        captured=_items(texts, content.captured, "summary.none"),
        recorded_heading=texts.id("summary.heading.recorded"),
        recorded=_items(texts, content.recorded, "summary.none"),
        next_heading=texts.id("summary.heading.next"),
        next_steps=texts(content.next_steps),
        note=texts.id("summary.note"),
    )

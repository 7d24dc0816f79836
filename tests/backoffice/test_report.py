"""The visit report: every field from a package is text on the page, never markup; Type-2 fields are
labelled as the standard numbers them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backoffice.opener import open_package
from backoffice.report import visit_report
from kitd.audit.record import AuditKind
from kitd.package.errors import MalformedPackage
from kitd.package.html_template import render
from support.package_kit import Kit
from support.visit_factory import make_visit

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(2)>'


def report_of_a_visit_with_crafted_attempts(kit: Kit, tmp_path: Path) -> str:
    # A compromised kit signs whatever it likes into its audit records.
    start = kit.audit.head.seq if kit.audit.head else -1
    kit.audit.append(AuditKind.VISIT_STARTED, "op-17", profile="eid")
    kit.audit.append(
        AuditKind.ATTEMPT, "op-17", capture="finger", finger=2, number=SCRIPT, quality=IMAGE
    )
    kit.audit.append(AuditKind.ATTEMPT, IMAGE, capture=SCRIPT, finger="2", failed_checks=[SCRIPT])
    kit.audit.append(AuditKind.OVERRIDE, SCRIPT, target="face", reason=IMAGE)
    kit.audit.append(AuditKind.VISIT_FINISHED, "op-17")
    visit = make_visit(kit.audit.records_since(start))
    opened = open_package(kit.sealer.seal(visit).data, kit.recipient_key, kit.keys)
    return visit_report(opened)


def test_attempt_number_and_quality_are_escaped(kit: Kit, tmp_path: Path) -> None:
    page = report_of_a_visit_with_crafted_attempts(kit, tmp_path)
    assert "<script" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page


def test_the_only_tags_are_the_reports_own(kit: Kit, tmp_path: Path) -> None:
    page = report_of_a_visit_with_crafted_attempts(kit, tmp_path)
    tags = set(re.findall(r"<([a-zA-Z0-9]+)", page))
    assert tags <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "br", "code",
        "div", "figure", "img", "figcaption", "table", "tr", "th", "td", "span", "ul", "li",
    }  # fmt: skip
    # Every img is one of the report's own pictures (data URIs).
    assert all(src.startswith("data:image/") for src in re.findall(r'<img src="([^"]*)"', page))


def test_type_2_fields_are_labelled_as_the_standard_numbers_them(kit: Kit, tmp_path: Path) -> None:
    opened = open_package(kit.sealer.seal(make_visit()).data, kit.recipient_key, kit.keys)
    page = visit_report(opened)
    assert "<td>2.010</td><td>APP-2026-000123</td>" in page
    assert "2.2.0" not in page


def test_the_template_escapes_values_and_keeps_rendered_fragments() -> None:
    inner = render("<b>$name</b>", name="<i>")
    assert inner == "<b>&lt;i&gt;</b>"
    assert (
        render("<p>$inner $raw</p>", inner=inner, raw="<i>") == "<p><b>&lt;i&gt;</b> &lt;i&gt;</p>"
    )
    # A plain str that happens to look like markup is still text.
    assert render("$x", x="<u>") == "&lt;u&gt;"


def test_a_print_that_does_not_decode_is_a_malformed_package_not_a_trace(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A compromised kit signs whatever WSQ bytes it likes; the report decodes every print.
    from kitd.package import files

    monkeypatch.setattr(files, "encode_wsq", lambda pixels: b"\xff\xa0" + b"\x17" * 300)
    opened = open_package(kit.sealer.seal(make_visit()).data, kit.recipient_key, kit.keys)
    with pytest.raises(MalformedPackage, match="right index"):
        visit_report(opened)

"""The `--html` report: one self-contained page (pictures inline as data URIs) to send to support.

It shows the overall verdict, every check with its figure, limit and hint, and the pictures the checks
took (camera still with the chart overlay, blank platen, corner taps). It loads nothing from anywhere.
"""

from __future__ import annotations

import base64
import html

from kitd.selftest.json_report import rfc3339
from kitd.selftest.result import CheckResult, Report, Verdict

_COLOURS = {
    Verdict.PASS: "#1b7f3b",
    Verdict.WARN: "#b26a00",
    Verdict.FAIL: "#b00020",
    Verdict.SKIPPED: "#666666",
}

_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.35em 0.6em; border-bottom: 1px solid #ddd; vertical-align: top; }
.verdict { font-weight: bold; text-transform: uppercase; }
.figure { white-space: nowrap; }
figure { display: inline-block; margin: 1em 1em 0 0; }
figure img { max-width: 640px; border: 1px solid #ccc; }
"""


def _figure(check: CheckResult) -> str:
    if check.verdict is Verdict.SKIPPED and not check.value:
        return ""
    return f"{check.value:g} {html.escape(check.unit)}".strip()


def render_html(report: Report, *, kit_id: str = "", title: str = "Kit self-test") -> str:
    """A report as one self-contained HTML page to send to support."""
    overall = report.overall
    rows = []
    for check in report.checks:
        colour = _COLOURS[check.verdict]
        rows.append(
            "<tr>"
            f"<td><code>{html.escape(check.id)}</code><br>{html.escape(check.title)}</td>"
            f'<td class="verdict" style="color:{colour}">{check.verdict.value}</td>'
            f'<td class="figure">{_figure(check)}</td>'
            f"<td>{html.escape(check.limit)}</td>"
            f"<td>{html.escape(check.hint)}</td>"
            "</tr>"
        )
    figures = []
    for check in report.checks:
        picture = check.picture
        if picture is None:
            continue
        data = base64.b64encode(picture.data).decode("ascii")
        figures.append(
            "<figure>"
            f'<img alt="{html.escape(check.title)}" src="data:{picture.format.value};base64,{data}" '
            f'width="{picture.width}" height="{picture.height}">'
            f"<figcaption><code>{html.escape(check.id)}</code>: {html.escape(check.title)}"
            f"</figcaption></figure>"
        )
    counts = {v: sum(1 for c in report.checks if c.verdict is v) for v in Verdict}
    summary = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{html.escape(title)}{f" — {html.escape(kit_id)}" if kit_id else ""}</h1>
<p>Overall: <span class="verdict" style="color:{_COLOURS[overall]}">{overall.value}</span>
(exit code {int(report.exit_code)}; {summary}). Mode: {report.mode.value}.
Started {rfc3339(report.started_at)}, finished {rfc3339(report.finished_at)}.</p>
<table><thead><tr><th>check</th><th>verdict</th><th>measured</th><th>limit</th><th>what to do</th>
</tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<h2>Pictures</h2>
{"".join(figures) or "<p>No pictures were taken.</p>"}
</body></html>
"""

"""A visit report for people: one self-contained HTML page from an opened package.

Shows the photo, the prints, the signature, every attempt with its quality and failed checks, the
exceptions, waivers and overrides, and the manifest. Images are inlined (data URIs), so the page is a
single file. This is back-office tooling: it handles plaintext biometrics and must never run on a kit.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.package.ansi_nist import read_transaction
from kitd.package.opener import OpenedPackage
from kitd.records.wsq import decode_wsq

FINGER_NAMES = {
    1: "right thumb",
    2: "right index",
    3: "right middle",
    4: "right ring",
    5: "right little",
    6: "left thumb",
    7: "left index",
    8: "left middle",
    9: "left ring",
    10: "left little",
}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 70rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.row { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
figure { margin: 0; } figcaption { font-size: .85rem; color: #555; text-align: center; }
img { border: 1px solid #bbb; background: #fff; }
table { border-collapse: collapse; font-size: .9rem; } td, th { padding: .25rem .6rem; text-align: left;
border-bottom: 1px solid #eee; } .ok { color: #1a7f37; } .bad { color: #b42318; }
code { font-size: .8rem; }
"""


def _data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def _png(pixels: NDArray[np.uint8]) -> bytes:
    ok, encoded = cv2.imencode(".png", pixels)
    return encoded.tobytes() if ok else b""


def _figure(uri: str, caption: str, width: int) -> str:
    return (
        f'<figure><img src="{uri}" width="{width}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _attempt_rows(records: list[dict[str, Any]]) -> str:
    rows = []
    for r in records:
        finger = FINGER_NAMES.get(int(r.get("finger") or 0), "")
        failed = ", ".join(r.get("failed_checks") or []) or "—"
        verdict = (
            '<span class="ok">accepted</span>'
            if r.get("accepted")
            else ('<span class="bad">rejected</span>')
        )
        rows.append(
            "<tr>"
            f"<td>{html.escape(str(r.get('capture', '')))}</td><td>{html.escape(finger)}</td>"
            f"<td>{r.get('number', '')}</td><td>{r.get('quality', '')}</td><td>{verdict}</td>"
            f"<td>{html.escape(failed)}</td><td>{html.escape(str(r.get('operator', '')))}</td>"
            "</tr>"
        )
    return "".join(rows)


def visit_report(opened: OpenedPackage) -> str:
    manifest = opened.manifest
    transaction = read_transaction(opened.files["transaction.an2"])
    pictures = []
    if transaction.face_jpeg is not None:
        pictures.append(_figure(_data_uri("image/jpeg", transaction.face_jpeg), "photo", 240))
    for finger in transaction.fingers:
        pixels = decode_wsq(finger.wsq)
        caption = f"{FINGER_NAMES.get(finger.position, finger.position)} — quality {finger.quality}"
        pictures.append(_figure(_data_uri("image/png", _png(pixels)), caption, 200))
    if transaction.signature_pixels is not None:
        pictures.append(
            _figure(_data_uri("image/png", _png(transaction.signature_pixels)), "signature", 450)
        )

    attempts: list[dict[str, Any]] = []
    events: list[str] = []
    for record in opened.audit_records:
        kind = record.kind.value
        fields = dict(record.fields)
        if kind == "attempt":
            attempts.append({**fields, "operator": record.operator_id})
        elif kind in ("override", "exception", "waiver", "device_fault"):
            detail = ", ".join(f"{k}={v}" for k, v in fields.items() if k not in ("session_id",))
            events.append(
                f"<li><b>{html.escape(kind)}</b> {html.escape(record.time)} "
                f"by {html.escape(record.operator_id or 'kit')}: {html.escape(detail)}</li>"
            )

    application = "".join(
        f"<tr><td>2.{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in sorted(transaction.application_data.items(), key=lambda kv: str(kv[0]))
    )
    files = "".join(
        f"<tr><td>{html.escape(f.name)}</td><td>{html.escape(f.media_type)}</td><td>{f.size}</td>"
        f"<td><code>{f.sha256}</code></td></tr>"
        for f in manifest.files
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Visit {html.escape(manifest.package_id)}</title>
<style>{_STYLE}</style></head><body>
<h1>Visit report — package {html.escape(manifest.package_id)}</h1>
<p>Kit <b>{html.escape(manifest.kit_id)}</b> · document {html.escape(manifest.document_profile)}
· policy {html.escape(manifest.policy_id)} {html.escape(manifest.policy_version)}
· application {html.escape(manifest.application_reference or "—")}<br>
Started {html.escape(manifest.started_at)} · finished {html.escape(manifest.finished_at)}
· sealed {html.escape(manifest.sealed_at)} · signed by kit key <code>{html.escape(manifest.kit_key_id)}</code>
· package SHA-256 <code>{html.escape(opened.sealed_sha256)}</code></p>
<h2>Captures</h2><div class="row">{"".join(pictures) or "<p>none</p>"}</div>
<h2>Attempts</h2>
<table><tr><th>capture</th><th>finger</th><th>#</th><th>quality</th><th>result</th>
<th>failed checks</th><th>operator</th></tr>{_attempt_rows(attempts)}</table>
<h2>Exceptions, waivers, overrides, device faults</h2><ul>{"".join(events) or "<li>none</li>"}</ul>
<h2>Application data (Type-2)</h2><table>{application}</table>
<h2>Files</h2><table><tr><th>name</th><th>type</th><th>bytes</th><th>SHA-256</th></tr>{files}</table>
<p>{len(opened.audit_records)} audit records, chain verified.</p>
</body></html>
"""

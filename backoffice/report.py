"""A visit report for people: one self-contained HTML page from an opened package.

Shows the photo, the prints, the signature, every attempt with its quality and failed checks, the
exceptions, waivers and overrides, and the manifest. Images are inlined (data URIs), so the page is a
single file. This is back-office tooling: it handles plaintext biometrics and must never run on a kit.
"""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from backoffice.opener import OpenedPackage
from kitd.package.ansi_nist import read_transaction
from kitd.package.errors import MalformedPackage
from kitd.package.html_template import Html, join, render
from kitd.package.manifest import EligibilitySummary
from kitd.records.wsq import WsqError, decode_wsq

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


def _figure(uri: str, caption: str, width: int) -> Html:
    return render(
        '<figure><img src="$uri" width="$width" alt="$caption">'
        "<figcaption>$caption</figcaption></figure>",
        uri=uri,
        width=width,
        caption=caption,
    )


def _attempt_rows(records: list[dict[str, Any]]) -> Html:
    rows = []
    for r in records:
        finger = r.get("finger")
        failed = r.get("failed_checks")
        accepted = r.get("accepted") is True
        rows.append(
            render(
                "<tr><td>$capture</td><td>$finger</td><td>$number</td><td>$quality</td>"
                '<td><span class="$verdict_class">$verdict</span></td><td>$failed</td>'
                "<td>$operator</td></tr>",
                capture=r.get("capture", ""),
                finger=FINGER_NAMES.get(finger, "") if isinstance(finger, int) else "",
                number=r.get("number", ""),
                quality=r.get("quality", ""),
                verdict_class="ok" if accepted else "bad",
                verdict="accepted" if accepted else "rejected",
                failed=", ".join(str(c) for c in failed)
                if isinstance(failed, list) and failed
                else "—",
                operator=r.get("operator", ""),
            )
        )
    return join(rows)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Visit $package_id</title>
<style>$style</style></head><body>
<h1>Visit report — package $package_id</h1>
<p>Kit <b>$kit_id</b> · document $document_profile
· policy $policy_id $policy_version
· application $application_reference<br>
Started $started_at · finished $finished_at
· sealed $sealed_at · signed by kit key <code>$kit_key_id</code>
· package SHA-256 <code>$sealed_sha256</code></p>
<h2>Captures</h2><div class="row">$pictures</div>
$eligibility
<h2>Attempts</h2>
<table><tr><th>capture</th><th>finger</th><th>#</th><th>quality</th><th>result</th>
<th>failed checks</th><th>operator</th></tr>$attempts</table>
<h2>Exceptions, waivers, overrides, eligibility, device faults</h2><ul>$events</ul>
<h2>Application data (Type-2)</h2><table>$type2</table>
<h2>Files</h2><table><tr><th>name</th><th>type</th><th>bytes</th><th>SHA-256</th></tr>$files</table>
<p>$audit_count audit records, chain verified.</p>
</body></html>
"""


def visit_report(opened: OpenedPackage) -> str:
    """The opened package as one self-contained HTML page for people: photo, prints, signature,
    attempts, exceptions and eligibility, every field from the package escaped as text.
    """
    manifest = opened.manifest
    transaction = read_transaction(opened.files["transaction.an2"])
    pictures = []
    if transaction.face_jpeg is not None:
        pictures.append(_figure(_data_uri("image/jpeg", transaction.face_jpeg), "photo", 240))
    for finger in transaction.fingers:
        name = FINGER_NAMES.get(finger.position, finger.position)
        try:
            pixels = decode_wsq(finger.wsq)
        except WsqError as exc:
            # Signed by the kit and still unreadable: a kit that encodes what it likes.
            raise MalformedPackage(f"the {name} print is not a readable WSQ stream: {exc}") from exc
        caption = f"{name} — quality {finger.quality}"
        pictures.append(_figure(_data_uri("image/png", _png(pixels)), caption, 200))
    if transaction.signature_pixels is not None:
        pictures.append(
            _figure(_data_uri("image/png", _png(transaction.signature_pixels)), "signature", 450)
        )

    eligibility = manifest.eligibility
    if eligibility is not None and eligibility.certificate_photo:
        photo = opened.files.get(eligibility.certificate_photo)
        if photo is not None:
            pictures.append(
                _figure(_data_uri("image/jpeg", photo), "doctor's certificate (document mode)", 360)
            )

    attempts: list[dict[str, Any]] = []
    events: list[Html] = []
    for record in opened.audit_records:
        kind = record.kind.value
        fields = dict(record.fields)
        if kind == "attempt":
            attempts.append({**fields, "operator": record.operator_id})
        elif kind in ("override", "exception", "waiver", "eligibility", "device_fault"):
            detail = ", ".join(f"{k}={v}" for k, v in fields.items() if k not in ("session_id",))
            events.append(
                render(
                    "<li><b>$kind</b> $time by $operator: $detail</li>",
                    kind=kind,
                    time=record.time,
                    operator=record.operator_id or "kit",
                    detail=detail,
                )
            )

    # The Type-2 fields come keyed as the standard numbers them ("2.010").
    application = join(
        render("<tr><td>$tag</td><td>$value</td></tr>", tag=tag, value=value)
        for tag, value in sorted(transaction.application_data.items())
    )
    files = join(
        render(
            "<tr><td>$name</td><td>$media_type</td><td>$size</td><td><code>$sha256</code></td></tr>",
            name=f.name,
            media_type=f.media_type,
            size=f.size,
            sha256=f.sha256,
        )
        for f in manifest.files
    )
    return render(
        _PAGE,
        style=Html(_STYLE),
        package_id=manifest.package_id,
        kit_id=manifest.kit_id,
        document_profile=manifest.document_profile,
        policy_id=manifest.policy_id,
        policy_version=manifest.policy_version,
        application_reference=manifest.application_reference or "—",
        started_at=manifest.started_at,
        finished_at=manifest.finished_at,
        sealed_at=manifest.sealed_at,
        kit_key_id=manifest.kit_key_id,
        sealed_sha256=opened.sealed_sha256,
        pictures=join(pictures) if pictures else Html("<p>none</p>"),
        attempts=_attempt_rows(attempts),
        events=join(events) if events else Html("<li>none</li>"),
        type2=application,
        files=files,
        audit_count=len(opened.audit_records),
        eligibility=_eligibility_section(eligibility),
    )


def _eligibility_section(eligibility: EligibilitySummary | None) -> Html:
    """A home visit's eligibility: the request, the doctor's certificate, the place, any override."""
    if eligibility is None:
        return Html("")
    rows = [
        ("request reference", eligibility.request_reference or "—"),
        ("filed by", eligibility.filed_by.replace("_", " ") or "—"),
        ("organisation", eligibility.organisation or "—"),
        ("doctor's certificate", "shown" if eligibility.certificate_shown else "not shown"),
        ("certificate date", eligibility.certificate_date or "—"),
        ("certificate photo", "sealed in the package" if eligibility.certificate_photo else "none"),
        ("place of the visit", eligibility.place.replace("_", " ") or "—"),
        ("facility", eligibility.facility or "—"),
    ]
    if not eligibility.recorded:
        rows = [("recorded", "nothing recorded")]
    if eligibility.override_operator:
        rows.append(
            (
                "override",
                f"by {eligibility.override_operator} without "
                f"{', '.join(m.replace('_', ' ') for m in eligibility.override_missing)}: "
                f"{eligibility.override_reason}",
            )
        )
    table = join(
        render('<tr><th scope="row">$name</th><td>$value</td></tr>', name=name, value=value)
        for name, value in rows
    )
    return render("<h2>Eligibility (home visit)</h2><table>$table</table>", table=table)

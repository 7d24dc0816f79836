"""Synthetic visits for the package tests: images made with numpy, keys made on the spot."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind, AuditRecord
from kitd.locale.message import Message
from kitd.package.contents import (
    FaceCapture,
    FingerCapture,
    FingerException,
    Override,
    SignatureCapture,
    SignatureWaiver,
    VisitContents,
)
from kitd.quality.check import CheckResult

STARTED = datetime(2026, 3, 2, 9, 15, 0, tzinfo=UTC)
FINISHED = datetime(2026, 3, 2, 9, 24, 30, tzinfo=UTC)


def face_jpeg(seed: int = 1, width: int = 480, height: int = 600) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = 200 - 80 * np.exp(
        -(((x - width / 2) / (width / 5)) ** 2 + ((y - height / 2.3) / (height / 4)) ** 2)
    )
    rgb = np.stack([base, base * 0.9, base * 0.8], axis=-1) + rng.normal(0, 6, (height, width, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def finger_pixels(seed: int, width: int = 320, height: int = 400) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    angle = rng.uniform(0, np.pi)
    ridges = np.sin((x * np.cos(angle) + y * np.sin(angle)) / 2.2 + 3 * np.sin(y / 37.0))
    mask = ((x - width / 2) / (width / 2.3)) ** 2 + ((y - height / 2) / (height / 2.1)) ** 2 < 1
    image = np.where(mask, 128 + 100 * ridges, 245) + rng.normal(0, 4, (height, width))
    return np.clip(image, 0, 255).astype(np.uint8)


def signature_png(seed: int = 3) -> bytes:
    rng = np.random.default_rng(seed)
    canvas = np.full((120, 400), 255, dtype=np.uint8)
    t = np.linspace(0, 1, 2000)
    xs = (20 + 360 * t).astype(int)
    ys = (60 + 30 * np.sin(t * 25 + rng.uniform(0, 3))).astype(int)
    for dx in (-1, 0, 1):
        canvas[np.clip(ys + dx, 0, 119), xs] = 0
    buffer = io.BytesIO()
    Image.fromarray(canvas, "L").save(buffer, "PNG")
    return buffer.getvalue()


def audit_stretch(path: Path, signer_log: AuditLog) -> tuple[AuditRecord, ...]:
    start = signer_log.head.seq if signer_log.head else -1
    signer_log.append(AuditKind.VISIT_STARTED, "op-17", profile="eid")
    signer_log.append(AuditKind.ATTEMPT, "op-17", target="finger:2", quality=41, accepted=False)
    signer_log.append(AuditKind.ATTEMPT, "op-17", target="finger:2", quality=63, accepted=True)
    signer_log.append(AuditKind.EXCEPTION, "op-17", position=7, kind="injured", reason="bandage")
    signer_log.append(AuditKind.VISIT_FINISHED, "op-17")
    return signer_log.records_since(start)


def make_visit(audit_records: tuple[AuditRecord, ...] = (), seed: int = 0) -> VisitContents:
    checks = (
        CheckResult("single_face", 1.0, 1.0, passed=True, quality=100),
        CheckResult("yaw", 2.5, 5.0, passed=True, quality=90),
        CheckResult(
            "background_uniformity",
            0.31,
            0.25,
            passed=False,
            quality=40,
            guidance=Message("face.background_uniformity.too_high"),
        ),
    )
    return VisitContents(
        kit_id="kit-0042",
        document_profile="be-eid",
        policy_id="be-eid-enrolment",
        policy_version="2026.1",
        application_reference="APP-2026-000123",
        operator_id="op-17",
        applicant_age=84,
        started_at=STARTED,
        finished_at=FINISHED,
        card_validity_months=12,
        face=FaceCapture(face_jpeg(seed + 1), 480, 600, checks, "bedridden, wall not plain"),
        fingers=(
            FingerCapture(2, finger_pixels(seed + 2), 63, attempts=2),
            FingerCapture(8, finger_pixels(seed + 3), 35, attempts=3, overridden_reason="dry skin"),
        ),
        signature=SignatureCapture(
            signature_png(seed + 4),
            b"\x00SDI\x00fake-19794-7",
            (CheckResult("stroke_count", 4.0, 2.0, passed=True, quality=80),),
        ),
        finger_exceptions=(FingerException(7, "injured", "bandaged index", "op-17"),),
        signature_waiver=None,
        overrides=(Override("face", "bedridden, wall not plain", "op-17"),),
        audit_records=audit_records,
    )


def make_waived_visit() -> VisitContents:
    visit = make_visit()
    return VisitContents(
        **{
            **visit.__dict__,
            "signature": None,
            "signature_waiver": SignatureWaiver("illness", "tremor", "op-17"),
        }
    )

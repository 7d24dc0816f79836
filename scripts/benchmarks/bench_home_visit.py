"""Home-visit benchmarks: the document-mode checks on a camera frame of a paper page (the simulator's
page at 720p and 1080p), the JPEG the certificate photo is sealed as, and rendering the citizen's
summary page in each language."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

import cv2
import numpy as np
from figures import Context, Figure, time_ms

from kitharness.measures import median

if TYPE_CHECKING:
    from kitd.locale.catalogs import Texts
    from kitd.session.session import Session


def run(ctx: Context) -> list[Figure]:
    from kitd.locale.catalogs import Catalogs
    from kitd.policy import RequestFiler, VisitPlace, load_policies
    from kitd.quality.check import CheckResult
    from kitd.quality.document import DocumentLimits, assess_document
    from kitd.session.eligibility import EligibilityEntry
    from kitd.session.model import (
        CaptureKind,
        FacePayload,
        FingerPayload,
        Receipt,
        SignaturePayload,
    )
    from kitd.session.session import Session
    from kitsim.camera.scene import Scene, render

    figures: list[Figure] = []
    limits = DocumentLimits()
    for width, height in ((1280, 720), (1920, 1080)):
        page = render(Scene(width=width, height=height, page=True))
        checks = time_ms(partial(assess_document, page, limits), repeat=40)
        figures.append(
            Figure("home visit", f"document checks, {height}p page (median)", median(checks), "ms")
        )
    ok, jpeg = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    figures.append(
        Figure("home visit", "certificate photo, 1080p JPEG q85", len(jpeg) / 1024, "KiB")
    )

    now = datetime(2026, 12, 7, 10, 0).timestamp()
    passed = (CheckResult("x", 1, 1, passed=True, quality=100),)
    session = Session(
        load_policies().by_id["be-eid-home-visit"], 84, "op", "APP-1", clock=lambda: now
    )
    session.record_eligibility(
        EligibilityEntry(
            "FORM-1",
            RequestFiler.CITIZEN,
            "",
            certificate_shown=True,
            certificate_date="2026-12-01",
            place=VisitPlace.HOME,
        )
    )
    for kind, payload in (
        (CaptureKind.FACE, FacePayload(b"j", 827, 1063)),
        (CaptureKind.FINGER, FingerPayload(np.zeros((500, 400), np.uint8))),
        (CaptureKind.FINGER, FingerPayload(np.zeros((500, 400), np.uint8))),
        (CaptureKind.SIGNATURE, SignaturePayload(b"p", b"i", 900, 300)),
    ):
        step = session.step_for(kind)
        session.begin(step)
        session.record_attempt(step, payload, 80, passed)
    session.finalize(
        Receipt("01a250f5-9b76-7c19-9d7f-8f99c7f97c67", "0" * 64, 1, "/", "r", "k", now)
    )
    catalogs = Catalogs.builtin()
    for language in catalogs.languages:
        texts = catalogs.texts(language)
        took = time_ms(partial(_summary_page, session, texts), repeat=40)
        figures.append(
            Figure("home visit", f"citizen summary, {language} (median)", median(took), "ms")
        )
    return figures


def _summary_page(session: Session, texts: Texts) -> str:
    """The citizen's summary page of `session`, from the session on (what the timing covers)."""
    from kitd.summary import summary_of, summary_page

    return summary_page(summary_of(session), texts)

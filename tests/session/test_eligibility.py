"""A home visit's eligibility follows its policy: what the operator records, what finalize needs,
the audited override, the certificate's photo in memory only, and the citizen's summary."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import numpy as np
import pytest

from kitd.errors import InvalidArgument, PolicyViolation, StepNotAllowed
from kitd.locale.catalogs import Catalogs
from kitd.policy import PolicySet, RequestFiler, VisitPlace, load_policies
from kitd.policy.model import CertificatePhotoPolicy, Policy
from kitd.quality.check import CheckResult
from kitd.quality.document import DocumentLimits, assess_document
from kitd.session.eligibility import CertificatePhoto, EligibilityEntry, Evidence
from kitd.session.model import (
    CaptureKind,
    FacePayload,
    FingerPayload,
    Receipt,
    SignaturePayload,
)
from kitd.session.packaging import visit_contents
from kitd.session.session import Session
from kitd.summary import summary_of, summary_page

# 2026-12-07 10:00 local time: the visit's clock.
NOW = datetime(2026, 12, 7, 10, 0).timestamp()
PASS = (CheckResult("single_face", 1, 1, passed=True, quality=100),)


@pytest.fixture(scope="module")
def policies() -> PolicySet:
    return load_policies()


def home_visit(policy: Policy, records: list[tuple[str, dict[str, Any]]] | None = None) -> Session:
    sink = records if records is not None else []
    return Session(
        policy,
        80,
        "op-17",
        "APP-2026-0042",
        clock=lambda: NOW,
        on_record=lambda kind, fields: sink.append((kind.value, fields)),
    )


def with_photo(policy: Policy) -> Policy:
    eligibility = dataclasses.replace(
        policy.eligibility, certificate_photo=CertificatePhotoPolicy(required=True)
    )
    return dataclasses.replace(policy, eligibility=eligibility)


def entry(**changes: Any) -> EligibilityEntry:
    values: dict[str, Any] = {
        "request_reference": "FORM-2026-118",
        "filed_by": RequestFiler.SOCIAL_WORKER,
        "organisation": "OCMW Gent",
        "certificate_shown": True,
        "certificate_date": "2026-11-20",
        "place": VisitPlace.CARE_HOME,
        "facility": "WZC Zonnebloem",
    }
    values.update(changes)
    return EligibilityEntry(**values)


def capture_everything(s: Session) -> None:
    for kind, payload in (
        (CaptureKind.FACE, FacePayload(b"jpeg", 827, 1063)),
        (CaptureKind.FINGER, FingerPayload(np.zeros((500, 400), np.uint8))),
        (CaptureKind.FINGER, FingerPayload(np.zeros((500, 400), np.uint8))),
        (CaptureKind.SIGNATURE, SignaturePayload(b"png", b"iso", 900, 300)),
    ):
        step = s.step_for(kind)
        s.begin(step)
        s.record_attempt(step, payload, 80, PASS)


def receipt() -> Receipt:
    return Receipt("0190f0a0-0000-7000-8000-000000000001", "00" * 32, 10, "/o/p", "rk", "kk", NOW)


def test_a_visit_whose_policy_needs_eligibility_is_not_finalized_without_it(
    policies: PolicySet,
) -> None:
    s = home_visit(policies.by_id["be-eid-home-visit"])
    capture_everything(s)
    with pytest.raises(PolicyViolation) as refused:
        s.check_complete()
    assert refused.value.message is not None
    assert refused.value.message.id == "error.eligibility_missing.record"
    assert refused.value.metadata["missing_evidence"] == "record"


def test_recorded_eligibility_with_a_certificate_lets_the_visit_finalize(
    policies: PolicySet,
) -> None:
    records: list[tuple[str, dict[str, Any]]] = []
    s = home_visit(policies.by_id["be-eid-home-visit"], records)
    capture_everything(s)
    s.record_eligibility(entry())
    s.check_complete()
    (audited,) = [fields for kind, fields in records if kind == "eligibility"]
    assert audited["certificate_date"] == "2026-11-20"
    assert audited["place"] == "care_home"
    assert "diagnosis" not in audited


def test_a_certificate_not_shown_needs_an_override_with_a_reason(policies: PolicySet) -> None:
    records: list[tuple[str, dict[str, Any]]] = []
    s = home_visit(policies.by_id["be-eid-home-visit"], records)
    capture_everything(s)
    s.record_eligibility(entry(certificate_shown=False, certificate_date=""))
    assert s.eligibility.missing == (Evidence.CERTIFICATE,)
    with pytest.raises(PolicyViolation):
        s.check_complete()
    with pytest.raises(InvalidArgument):
        s.override_eligibility("short")
    s.override_eligibility("certificate sent by the GP, seen on paper at the town hall")
    s.check_complete()
    (override,) = [fields for kind, fields in records if kind == "override"]
    assert override["capture"] == "eligibility"
    assert override["missing"] == ["certificate"]
    assert override["operator_id"] == "op-17"


def test_nothing_to_override_when_the_evidence_is_complete(policies: PolicySet) -> None:
    s = home_visit(policies.by_id["be-eid-home-visit"])
    s.record_eligibility(entry())
    with pytest.raises(StepNotAllowed):
        s.override_eligibility("no reason to override at all")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"request_reference": " "}, "request_reference"),
        ({"organisation": ""}, "organisation"),
        ({"certificate_date": ""}, "certificate_date"),
        ({"certificate_date": "2026-12-08"}, "certificate_date"),
        ({"certificate_date": "20-11-2026"}, "certificate_date"),
    ],
)
def test_an_incomplete_or_impossible_entry_is_refused_and_keeps_nothing(
    policies: PolicySet, changes: dict[str, Any], field: str
) -> None:
    s = home_visit(policies.by_id["be-eid-home-visit"])
    with pytest.raises(InvalidArgument) as refused:
        s.record_eligibility(entry(**changes))
    assert refused.value.metadata["field"] == field
    assert s.eligibility.recorded is None


def test_a_citizen_who_filed_alone_names_no_organisation(policies: PolicySet) -> None:
    s = home_visit(policies.by_id["be-eid-home-visit"])
    recorded = s.record_eligibility(
        entry(filed_by=RequestFiler.CITIZEN, organisation="", place=VisitPlace.HOME)
    )
    assert recorded.organisation == ""
    assert recorded.facility == ""  # a visit at home names no facility


def test_a_policy_without_eligibility_refuses_to_record_it(policies: PolicySet) -> None:
    s = home_visit(policies.by_id["be-eid"])
    with pytest.raises(StepNotAllowed):
        s.record_eligibility(entry())
    with pytest.raises(StepNotAllowed):
        s.check_certificate_photo_allowed()


def test_a_failed_certificate_photo_does_not_count_and_a_good_one_is_packaged(
    policies: PolicySet,
) -> None:
    s = home_visit(with_photo(policies.by_id["be-eid-home-visit"]))
    capture_everything(s)
    s.record_eligibility(entry())
    blurred = np.full((720, 1280, 3), 128, np.uint8)
    page = np.full((720, 1280, 3), 235, np.uint8)
    page[100:620:24, 200:1080] = 20  # lines of text
    limits = DocumentLimits()
    s.keep_certificate_photo(
        CertificatePhoto(b"blur", 1280, 720, assess_document(blurred, limits), NOW)
    )
    assert s.eligibility.missing == (Evidence.CERTIFICATE_PHOTO,)
    s.keep_certificate_photo(
        CertificatePhoto(b"page", 1280, 720, assess_document(page, limits), NOW)
    )
    assert s.eligibility.missing == ()
    contents = visit_contents(s, "kit-1")
    assert contents.eligibility is not None
    assert contents.eligibility.certificate_photo == b"page"


def test_the_certificate_photo_leaves_memory_when_the_visit_ends(policies: PolicySet) -> None:
    s = home_visit(with_photo(policies.by_id["be-eid-home-visit"]))
    page = np.full((720, 1280, 3), 235, np.uint8)
    page[100:620:24, 200:1080] = 20
    checks = assess_document(page, DocumentLimits())
    s.keep_certificate_photo(CertificatePhoto(b"page", 1280, 720, checks, NOW))
    s.cancel("citizen asleep")
    assert s.eligibility.photo is not None and s.eligibility.photo.jpeg == b""
    assert s.eligibility.photo.accepted  # what its checks said stays on record


def test_document_mode_refuses_a_blurred_page_and_a_reflection() -> None:
    page = np.full((720, 1280, 3), 235, np.uint8)
    page[100:620:24, 200:1080] = 20
    sharp, glare = assess_document(page, DocumentLimits())
    assert sharp.passed and glare.passed
    blurred = np.full((720, 1280, 3), 200, np.uint8)
    assert not assess_document(blurred, DocumentLimits())[0].passed
    shiny = page.copy()
    shiny[200:400, 300:700] = 255
    sharp, glare = assess_document(shiny, DocumentLimits())
    assert not glare.passed
    assert glare.guidance is not None and glare.guidance.id == "document.glare.too_high"


def test_the_summary_names_the_captures_and_the_place_and_no_biometrics(
    policies: PolicySet,
) -> None:
    s = home_visit(policies.by_id["be-eid-home-visit"])
    capture_everything(s)
    s.record_eligibility(entry())
    with pytest.raises(StepNotAllowed):
        summary_of(s)
    s.finalize(receipt())
    content = summary_of(s)
    catalogs = Catalogs.builtin()
    pages = {lang: summary_page(content, catalogs.texts(lang)) for lang in catalogs.languages}
    assert "WZC Zonnebloem" in pages["nl"] and "woonzorgcentrum" in pages["nl"]
    assert "maison de repos" in pages["fr"]
    assert "Pflegeheim" in pages["de"]
    assert "care home" in pages["en"]
    for lang, page in pages.items():
        assert 'lang="' + lang + '"' in page
        assert "APP-2026-0042" in page
        assert receipt().package_id in page
        assert "<img" not in page and "data:" not in page
        assert "summary." not in page  # every id found its text

"""Home visits through gRPC against the simulators: eligibility on record before finalize (or an audited
override), the doctor's certificate photographed in document mode and sealed, and the citizen's
summary in the four languages."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from kit.v1 import capture_service_pb2 as pb
from support.kit import KitUnderTest
from support.visit import LEFT_INDEX, RIGHT_INDEX, Visit

GOOD = {"quality": 0.9}

# Photo only, so the eligibility is what these visits are about; one asks for the certificate's photo.
_HOME_VISIT = """
[policy]
id = "{id}"
version = "1"
title = "Test home visit"
min_age = 0
max_age = 150

[face]
max_attempts = 8

[fingers]
required = false

[signature]
required = false

[overrides]
allowed = ["face"]

[eligibility]
required = true

[eligibility.certificate_photo]
required = {photo}
"""


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, error
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return info


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KitUnderTest]:
    root = tmp_path_factory.mktemp("home")
    policies = root / "policies"
    policies.mkdir()
    (policies / "home-face.toml").write_text(_HOME_VISIT.format(id="home-face", photo="false"))
    (policies / "home-photo.toml").write_text(_HOME_VISIT.format(id="home-photo", photo="true"))
    extra = f'\n[policy]\ndirs = ["{policies}"]\n'
    with KitUnderTest(root, extra_config=extra) as running:
        yield running


def refused_finalize(visit: Visit) -> error_details_pb2.ErrorInfo:
    with pytest.raises(grpc.RpcError) as refused:
        visit.finalize()
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    return error_info(refused.value)


def kitpkg(kit: KitUnderTest, *args: str) -> subprocess.CompletedProcess[str]:
    state = kit.root / "kitd" / "state"
    command = [sys.executable, "-m", "backoffice.cli", *args]
    keys = ["--key", str(kit.recipient.private_path), "--kit-keys", str(state / "kit-keys.json")]
    return subprocess.run(command + keys, capture_output=True, text=True, timeout=120, check=True)


def test_a_home_visit_needs_its_eligibility_on_record_before_it_is_sealed(
    visit_factory: Callable[..., Visit], kit: KitUnderTest, tmp_path: Path
) -> None:
    visit = visit_factory("be-eid-home-visit", 84)
    eligibility = visit.session.eligibility
    assert eligibility.required and not eligibility.recorded
    assert list(eligibility.missing) == [pb.ELIGIBILITY_EVIDENCE_RECORD]
    visit.face()
    visit.finger(RIGHT_INDEX, **GOOD)
    visit.finger(LEFT_INDEX, **GOOD)
    visit.sign()
    assert visit.session.next_step_id == ""

    info = refused_finalize(visit)
    assert info.reason == "ERROR_REASON_POLICY_VIOLATION"
    assert info.metadata["missing_evidence"] == "record"

    session = visit.record_eligibility()
    assert session.eligibility.recorded and list(session.eligibility.missing) == []
    assert session.eligibility.place == pb.VISIT_PLACE_CARE_HOME
    response = visit.finalize()
    assert response.session.state == pb.SESSION_STATE_FINALIZED

    opened, transaction = visit.open(response.receipt)
    manifest = opened.manifest.eligibility
    assert manifest is not None
    assert (manifest.request_reference, manifest.filed_by) == ("FORM-2026-118", "social_worker")
    assert (manifest.certificate_shown, manifest.certificate_date) == (True, "2026-11-20")
    assert (manifest.place, manifest.facility) == ("care_home", "WZC Zonnebloem")
    assert manifest.certificate_photo == ""
    assert "certificate.jpg" not in opened.files  # off by default: health data
    fields = transaction.application_data
    assert fields["2.027"] == "FORM-2026-118|social_worker|OCMW Gent"
    assert fields["2.028"] == "shown|20261120|no_photo"
    assert fields["2.029"] == "care_home|WZC Zonnebloem"
    assert "2.030" not in fields
    assert "eligibility" in [r.kind.value for r in opened.audit_records]

    package = tmp_path / "visit.kitpkg"
    package.write_bytes(Path(response.receipt.path).read_bytes())
    page = tmp_path / "report.html"
    kitpkg(kit, "report", str(package), "--out", str(page))
    html = page.read_text()
    assert "Eligibility (home visit)" in html and "FORM-2026-118" in html
    assert "WZC Zonnebloem" in html and "2026-11-20" in html


def test_a_certificate_not_shown_is_finalized_only_on_an_audited_override(
    visit_factory: Callable[..., Visit],
) -> None:
    visit = visit_factory("home-face", 91)
    visit.face()
    visit.record_eligibility(
        certificate_shown=False,
        certificate_date="",
        filed_by=pb.REQUEST_FILER_CITIZEN,
        organisation="",
        place=pb.VISIT_PLACE_HOME,
        facility="",
    )
    assert list(visit.session.eligibility.missing) == [pb.ELIGIBILITY_EVIDENCE_CERTIFICATE]
    assert refused_finalize(visit).metadata["missing_evidence"] == "certificate"

    with pytest.raises(grpc.RpcError) as short:
        visit.override_eligibility("no")
    assert short.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    session = visit.override_eligibility("GP's certificate seen by the social service")
    assert list(session.eligibility.override.missing) == [pb.ELIGIBILITY_EVIDENCE_CERTIFICATE]

    response = visit.finalize()
    opened, transaction = visit.open(response.receipt)
    manifest = opened.manifest.eligibility
    assert manifest is not None and manifest.override_operator == "op-e2e"
    assert manifest.override_missing == ("certificate",)
    assert transaction.application_data["2.028"] == "not_shown||no_photo"
    assert transaction.application_data["2.030"] == (
        "GP's certificate seen by the social service|op-e2e|certificate"
    )
    overrides = [r for r in opened.audit_records if r.kind.value == "override"]
    assert [r.fields["capture"] for r in overrides] == ["eligibility"]
    assert overrides[0].operator_id == "op-e2e"


def test_a_bad_eligibility_request_is_refused_naming_the_field(
    visit_factory: Callable[..., Visit],
) -> None:
    visit = visit_factory("home-face", 91)
    with pytest.raises(grpc.RpcError) as future:
        visit.record_eligibility(certificate_date="2999-01-01")
    assert future.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(future.value).metadata["field"] == "certificate_date"
    with pytest.raises(grpc.RpcError) as unset:
        visit.record_eligibility(place=pb.VISIT_PLACE_UNSPECIFIED)
    assert unset.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert not visit.refresh().eligibility.recorded


def test_the_certificate_photo_is_sealed_opens_at_the_back_office_and_is_nowhere_on_disk(
    visit_factory: Callable[..., Visit], kit: KitUnderTest
) -> None:
    visit = visit_factory("home-photo", 77)
    visit.face()
    visit.record_eligibility()
    assert list(visit.session.eligibility.missing) == [pb.ELIGIBILITY_EVIDENCE_CERTIFICATE_PHOTO]

    blurred = visit.certificate_photo(blur=4.0)
    assert not blurred.accepted
    failed = {c.id for c in blurred.checks if not c.passed}
    assert failed == {"document_sharpness"}
    assert refused_finalize(visit).metadata["missing_evidence"] == "certificate_photo"

    photo = visit.certificate_photo()
    assert photo.accepted, [(c.id, c.value) for c in photo.checks]
    assert visit.session.eligibility.certificate_photo_accepted
    assert visit.session.eligibility.certificate_photo_attempts == 2
    response = visit.finalize()

    opened, transaction = visit.open(response.receipt)
    sealed = opened.files["certificate.jpg"]
    assert sealed == photo.photo.data
    page = cv2.imdecode(np.frombuffer(sealed, np.uint8), cv2.IMREAD_COLOR)
    assert page.shape[:2] == (photo.photo.height, photo.photo.width)
    assert opened.manifest.eligibility is not None
    assert opened.manifest.eligibility.certificate_photo == "certificate.jpg"
    assert transaction.application_data["2.028"] == "shown|20261120|photo"

    needle = sealed[len(sealed) // 2 : len(sealed) // 2 + 64]
    opened_dir = kit.root / "backoffice"
    for path in kit.root.rglob("*"):
        if path.is_file() and opened_dir not in path.parents:
            assert needle not in path.read_bytes(), f"the certificate photo is in {path}"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ("Overzicht van uw aanvraag", "woonzorgcentrum", "vingerafdruk")),
        ("fr", ("Récapitulatif de votre demande", "maison de repos", "empreinte")),
        ("de", ("Zusammenfassung Ihres Antrags", "Pflegeheim", "Fingerabdruck")),
        ("en", ("Summary of your application", "care home", "fingerprint")),
    ],
)
def test_the_citizen_summary_is_offered_in_each_language_without_biometrics(
    summary_visit: Visit, language: str, words: tuple[str, ...]
) -> None:
    response = summary_visit.summary(language)
    assert response.language == language
    for word in words:
        assert word in response.html
    assert "APP-2026-0042" in response.html
    assert "<img" not in response.html and "base64" not in response.html


@pytest.fixture(scope="module")
def summary_visit(kit: KitUnderTest) -> Visit:
    """A sealed home visit with an amputated right index, whose summary the tests read."""
    visit = Visit(kit, "be-eid-home-visit", 84, citizen_language="fr")
    visit.record_eligibility()
    visit.face()
    visit.exception(RIGHT_INDEX, 1, "amputated 2019")  # FINGER_EXCEPTION_KIND_AMPUTATED
    visit.finger(0, **GOOD)
    visit.finger(LEFT_INDEX, **GOOD)
    visit.sign()
    visit.finalize()
    assert visit.summary().language == "fr"  # the visit's citizen language by default
    return visit


def test_kitctl_walks_a_home_visit_with_the_certificate_photo_and_writes_the_summary(
    kit: KitUnderTest, tmp_path: Path
) -> None:
    summary_file = tmp_path / "summary.html"
    result = kit.kitctl(
        "enroll", "--profile", "home-photo", "--age", "88", "--auto",
        "--sim-dir", str(kit.sims.workdir), "--citizen-lang", "de",
        "--request-ref", "FORM-2026-77", "--filed-by", "care_provider",
        "--organisation", "Wit-Gele Kruis", "--certificate-date", "2026-12-01",
        "--place", "home", "--summary", str(summary_file), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    eligibility = data["eligibility"]
    assert eligibility["recorded"] and eligibility["certificate_photo"]
    assert (eligibility["filed_by"], eligibility["place"]) == ("care_provider", "home")
    assert data["citizen_summary"]["language"] == "de"
    page = summary_file.read_text(encoding="utf-8")
    assert "Zusammenfassung Ihres Antrags" in page and "zu Hause" in page


def test_kitctl_without_the_eligibility_stops_before_sealing(kit: KitUnderTest) -> None:
    result = kit.kitctl(
        "enroll", "--profile", "home-face", "--age", "70", "--auto",
        "--sim-dir", str(kit.sims.workdir),
    )  # fmt: skip
    assert result.returncode != 0
    assert "POLICY_VIOLATION" in result.stderr or "eligibility" in result.stderr
    assert (
        kit.client.capture.GetActiveSession(
            pb.GetActiveSessionRequest(), metadata=kit.client.metadata, timeout=5
        ).session.session_id
        == ""
    )

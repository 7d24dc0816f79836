"""Package ids, deterministic CBOR and the manifest encoding."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kitd.package import deterministic_cbor
from kitd.package.errors import MalformedPackage
from kitd.package.ids import is_package_id, new_package_id
from kitd.package.manifest import AuditSummary, EligibilitySummary, FileEntry, Manifest


def test_package_ids_are_uuidv7_and_sort_by_time() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    ids = [new_package_id(start + timedelta(milliseconds=i)) for i in range(50)]
    assert all(uuid.UUID(i).version == 7 and is_package_id(i) for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_a_uuid4_is_not_a_package_id() -> None:
    assert not is_package_id(str(uuid.uuid4()))
    assert not is_package_id("not-a-uuid")


def test_deterministic_cbor_ignores_insertion_order() -> None:
    assert deterministic_cbor.encode(
        {"b": 1, "a": [2, {"y": 1, "x": 2}]}
    ) == deterministic_cbor.encode({"a": [2, {"x": 2, "y": 1}], "b": 1})


def test_deterministic_cbor_refuses_keys_whose_order_could_differ() -> None:
    with pytest.raises(ValueError, match="longer than 23"):
        deterministic_cbor.encode({"a_very_long_key_name_over_23": 1})


def test_manifest_round_trips_through_cbor() -> None:
    manifest = Manifest(
        package_id=new_package_id(datetime(2026, 3, 2, tzinfo=UTC)),
        kit_id="kit-1", kit_key_id="ab" * 16, recipient_key_id="cd" * 16,
        document_profile="be-eid", policy_id="p", policy_version="1", application_reference="A",
        started_at="2026-03-02T09:00:00.000Z", finished_at="2026-03-02T09:10:00.000Z",
        sealed_at="2026-03-02T09:10:01.000Z",
        files=(FileEntry.of("transaction.an2", "application/x-ansi-nist-itl", b"data"),),
        audit=AuditSummary(3, 9, "ef" * 32),
    )  # fmt: skip
    encoded = manifest.to_cbor()
    assert Manifest.from_cbor(encoded) == manifest
    assert Manifest.from_cbor(encoded).to_cbor() == encoded


def _manifest(eligibility: EligibilitySummary | None) -> Manifest:
    return Manifest(
        package_id=new_package_id(datetime(2026, 3, 2, tzinfo=UTC)),
        kit_id="kit-1", kit_key_id="ab" * 16, recipient_key_id="cd" * 16,
        document_profile="be-eid-home-visit", policy_id="p", policy_version="1",
        application_reference="A", started_at="2026-03-02T09:00:00.000Z",
        finished_at="2026-03-02T09:10:00.000Z", sealed_at="2026-03-02T09:10:01.000Z",
        files=(), audit=None, eligibility=eligibility,
    )  # fmt: skip


HOME = EligibilitySummary(
    recorded=True, request_reference="FORM-1", filed_by="social_worker", organisation="OCMW",
    certificate_shown=False, certificate_date="", certificate_photo="", place="care_home",
    facility="WZC", override_reason="seen by the GP", override_operator="op-1",
    override_missing=("certificate",),
)  # fmt: skip


def test_a_home_visits_eligibility_round_trips_and_other_manifests_stay_as_they_were() -> None:
    home = _manifest(HOME)
    assert Manifest.from_cbor(home.to_cbor()) == home
    plain = _manifest(None).to_cbor()
    assert "eligibility" not in deterministic_cbor.decode(plain)
    assert Manifest.from_cbor(plain).eligibility is None


@pytest.mark.parametrize(
    ("key", "value"),
    [("cert_shown", "yes"), ("place", 3), ("override", {"reason": "r", "operator_id": 1})],
)
def test_a_malformed_eligibility_is_a_malformed_package(key: str, value: object) -> None:
    doc = deterministic_cbor.decode(_manifest(HOME).to_cbor())
    doc["eligibility"][key] = value
    with pytest.raises(MalformedPackage):
        Manifest.from_cbor(deterministic_cbor.encode(doc))

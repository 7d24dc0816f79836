"""Policy files are data, validated at start with errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitd.policy import PolicyError, load_policies, load_policy
from kitd.policy.loader import builtin_policy_files
from kitd.policy.model import FingerName

EID = next(f for f in builtin_policy_files() if f.name == "be-eid.toml")


def test_builtin_policies_load_with_their_versions() -> None:
    policies = load_policies()
    assert {p.id for p in policies} == {
        "be-eid",
        "be-eid-delivery",
        "be-eid-home-visit",
        "be-kids-id",
        "be-passport",
        "be-residence-card",
        "be-driving-licence",
    }
    eid = policies.by_id["be-eid"]
    assert eid.version
    assert eid.fingers.min_quality[FingerName.INDEX] == 30
    assert eid.fingers.min_quality[FingerName.RING] == 10


def test_the_template_is_a_valid_policy() -> None:
    template = next(f for f in builtin_policy_files() if f.name == "template.toml")
    assert load_policy(template).id == "example-document"


def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = EID.read_text()
    assert old in text
    path = tmp_path / "edited.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "max_attempts = 3\ncapture_timeout_s = 15",
            "max_attempts = 0\ncapture_timeout_s = 15",
            "fingers.max_attempts",
        ),
        ("index = 30", "index = 130", "fingers.min_quality.index"),
        ("little = 10\n", "", "no threshold for: little"),
        ('hands = ["right", "left"]', 'hands = ["right", "right"]', "fingers.hands"),
        ('order = ["index",', 'order = ["pinky",', "fingers.order[0]"),
        ('scope = "finger"', 'scope = "hand"', "fingers.exceptions.amputated.scope"),
        ("[overrides]", "[overrides]\ncolour = 1", "unknown key 'overrides.colour'"),
        ("[signature]", "[signatures]", "unknown table 'signatures'"),
        ('version = "2026.1"', 'version = ""', "policy.version"),
    ],
)
def test_broken_policy_names_file_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = edited(tmp_path, old, new)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_policy_folder_adds_documents_and_rejects_duplicate_ids(tmp_path: Path) -> None:
    extra = tmp_path / "policies"
    extra.mkdir()
    (extra / "passport.toml").write_text(
        EID.read_text().replace('id = "be-eid"', 'id = "be-other-document"')
    )
    assert "be-other-document" in load_policies((extra,)).by_id
    (extra / "copy.toml").write_text(EID.read_text())
    with pytest.raises(PolicyError, match="be-eid"):
        load_policies((extra,))


def test_face_threshold_overrides_are_checked(tmp_path: Path) -> None:
    path = edited(
        tmp_path, "jpeg_quality = 92\n", "jpeg_quality = 92\n[face.thresholds.yawn]\nmax = 3\n"
    )
    with pytest.raises(PolicyError, match=r"face\.thresholds"):
        load_policy(path)
    path = edited(
        tmp_path, "jpeg_quality = 92\n", "jpeg_quality = 92\n[face.thresholds.yaw]\nmax = 3\n"
    )
    assert load_policy(path).face.thresholds == {"yaw": {"max": 3}}


DELIVERY = next(f for f in builtin_policy_files() if f.name == "be-eid-delivery.toml")


def test_the_delivery_policy_tries_both_fingers_and_allows_the_visual_check() -> None:
    delivery = load_policy(DELIVERY).delivery
    assert (delivery.max_attempts, delivery.enrolled_fingers) == (3, 2)
    assert delivery.max_reference_validity_days == 30
    assert delivery.visual_check.allowed and delivery.visual_check.reason_min_length == 10


def test_the_template_keeps_the_visual_check_off() -> None:
    template = next(f for f in builtin_policy_files() if f.name == "template.toml")
    assert not load_policy(template).delivery.visual_check.allowed


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("enrolled_fingers = 2", "enrolled_fingers = 3", "delivery.enrolled_fingers"),
        ("enrolled_fingers = 2", "enrolled_fingers = 0", "delivery.enrolled_fingers"),
        (
            "max_reference_validity_days = 30",
            "max_reference_validity_days = inf",
            "delivery.max_reference_validity_days",
        ),
        (
            "max_reference_validity_days = 30",
            "max_reference_validity_days = 0",
            "delivery.max_reference_validity_days",
        ),
        (
            "max_reference_validity_days = 30",
            "max_reference_validity_days = 36500",
            "delivery.max_reference_validity_days",
        ),
        ("reason_min_length = 10", "reason_min_length = 0", "delivery.visual_check"),
        ("allowed = true", 'allowed = "sometimes"', "delivery.visual_check.allowed"),
    ],
)
def test_a_broken_delivery_policy_names_the_key(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = DELIVERY.read_text()
    assert old in text
    path = tmp_path / "delivery.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(PolicyError, match=message.replace(".", r"\.")):
        load_policy(path)


@pytest.mark.parametrize(
    ("profile", "age", "fingers", "signature"),
    [
        ("be-passport", 5, False, False),
        ("be-passport", 6, False, True),
        ("be-passport", 12, True, True),
        ("be-residence-card", 6, True, False),
        ("be-residence-card", 12, True, True),
        ("be-driving-licence", 18, False, True),
    ],
)
def test_the_next_documents_ask_fingers_and_signature_from_their_ages(
    profile: str, age: int, *, fingers: bool, signature: bool
) -> None:
    policy = load_policies().for_visit(profile, age)
    assert policy.fingers_required(age) is fingers
    assert policy.signature_required(age) is signature


def test_the_next_documents_cite_their_official_sources() -> None:
    policies = load_policies()
    for profile in ("be-passport", "be-residence-card", "be-driving-licence"):
        sources = policies.by_id[profile].sources
        assert sources and all(s.startswith("https://") for s in sources)
    assert FingerName.LITTLE not in policies.by_id["be-passport"].fingers.order


def test_a_home_visit_policy_asks_for_the_certificate_but_not_its_photo() -> None:
    home = load_policies().by_id["be-eid-home-visit"].eligibility
    assert home.required and home.certificate_required
    assert not home.certificate_photo.required  # health data: off unless a municipality asks


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        ("[eligibility]\nrequired = true\nplaces = []\n", "eligibility.places"),
        ('[eligibility]\nrequired = true\nfilers = ["neighbour"]\n', "eligibility.filers"),
        (
            "[eligibility]\nrequired = true\ncertificate_required = false\n"
            "[eligibility.certificate_photo]\nrequired = true\n",
            "certificate_photo.required",
        ),
        ('summary_next = "no.such.message"', "summary_next"),
    ],
)
def test_a_broken_eligibility_or_summary_key_is_refused_naming_it(
    tmp_path: Path, addition: str, message: str
) -> None:
    text = EID.read_text()
    if addition.startswith("summary_next"):
        text = text.replace('summary_next = "summary.next.eid"', addition, 1)
    else:
        text += "\n" + addition
    path = tmp_path / "edited.toml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=message):
        load_policy(path)

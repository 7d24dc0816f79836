"""Reads and validates policy files; a PolicySet answers "which policy for this document and age".

A policy file has a [policy] table (id, version, title, ages, session timeout) and one table per capture
([face], [fingers], [signature], [overrides]). Anything unknown or inconsistent is a PolicyError naming
the file and the key; the daemon refuses to start with a broken policy.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from kitd.errors import InvalidArgument
from kitd.locale.catalogs import Catalogs, placeholders
from kitd.locale.message import Message
from kitd.matching.thresholds import threshold_for
from kitd.policy.model import (
    DeliveryPolicy,
    EligibilityPolicy,
    FacePolicy,
    FingerPolicy,
    OverridePolicy,
    Policy,
    SignaturePolicy,
)
from kitd.quality.face.thresholds import FaceThresholds
from kitd.schema import SchemaError, build


class PolicyError(Exception):
    """A policy file is unusable; the message names the file and the key."""


@dataclass(frozen=True)
class _Header:
    id: str
    version: str
    title: str
    min_age: int = 0
    max_age: int = 150
    session_timeout_s: float = 3600.0
    description: str = ""
    sources: tuple[str, ...] = ()
    summary_document: str = ""
    summary_next: str = "summary.next.application"


def load_policy(path: Path) -> Policy:
    """Reads and checks one policy file; any problem is a PolicyError naming file and key."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from None
    return parse_policy(table, origin=str(path))


def parse_policy(table: dict[str, Any], origin: str = "policy") -> Policy:
    """Builds and checks a policy from its TOML table; `origin` names it in errors."""
    known = {"policy", "face", "fingers", "signature", "overrides", "delivery", "eligibility"}
    unknown = set(table) - known
    if unknown:
        raise PolicyError(
            f"{origin}: unknown table {sorted(unknown)[0]!r} (known: {sorted(known)})"
        )
    base = Path(origin).parent
    try:
        header = build(_Header, table.get("policy", {}), base_dir=base, prefix="policy.")
        face = build(FacePolicy, table.get("face", {}), base_dir=base, prefix="face.")
        fingers = build(FingerPolicy, table.get("fingers", {}), base_dir=base, prefix="fingers.")
        signature = build(
            SignaturePolicy, table.get("signature", {}), base_dir=base, prefix="signature."
        )
        overrides = build(
            OverridePolicy, table.get("overrides", {}), base_dir=base, prefix="overrides."
        )
        delivery = build(
            DeliveryPolicy, table.get("delivery", {}), base_dir=base, prefix="delivery."
        )
        eligibility = build(
            EligibilityPolicy, table.get("eligibility", {}), base_dir=base, prefix="eligibility."
        )
    except SchemaError as exc:
        raise PolicyError(f"{origin}: {exc}") from None
    policy = Policy(
        id=header.id,
        version=header.version,
        title=header.title,
        description=header.description,
        min_age=header.min_age,
        max_age=header.max_age,
        session_timeout_s=header.session_timeout_s,
        face=face,
        fingers=fingers,
        signature=signature,
        overrides=overrides,
        delivery=delivery,
        eligibility=eligibility,
        sources=header.sources,
        summary_document=header.summary_document,
        summary_next=header.summary_next,
    )
    _check(policy, origin)
    return policy


# Raises the PolicyError that names the file; every rule reports through it.
Fail = Callable[[str], None]


def _check_message(key: str, message_id: str, allowed: set[str], fail: Fail) -> None:
    """A policy's guidance is a message id every catalog has; its texts use only `allowed` fields."""
    catalogs = Catalogs.builtin()
    if message_id not in catalogs.ids():
        fail(f"{key}: unknown message id {message_id!r} (the ids are in kitd/locale/catalogs)")
        return
    for language in catalogs.languages:
        text = catalogs.text(message_id, language) or ""
        extra = placeholders(text) - allowed
        if extra:
            names = ", ".join("{" + name + "}" for name in sorted(allowed))
            fail(
                f"{key}: {message_id!r} in {language!r} uses {sorted(extra)}; only {names} are given"
            )


def _check(policy: Policy, origin: str) -> None:
    def fail(message: str) -> None:
        raise PolicyError(f"{origin}: {message}")

    # One rule per section, in a fixed order: a file with two problems is told the same first one.
    for rule in _RULES:
        rule(policy, fail)


def _check_header(policy: Policy, fail: Fail) -> None:
    if not policy.id or not policy.version:
        fail("policy.id and policy.version must not be empty")
    if not 0 <= policy.min_age <= policy.max_age:
        fail("policy.min_age must be between 0 and policy.max_age")
    if policy.session_timeout_s <= 0:
        fail("policy.session_timeout_s must be positive")


def _unique_and_present(values: tuple[object, ...]) -> bool:
    return bool(values) and len(set(values)) == len(values)


def _check_finger_choice(policy: Policy, fail: Fail) -> None:
    fingers = policy.fingers
    if fingers.required:
        if not _unique_and_present(fingers.hands):
            fail("fingers.hands must list each hand at most once, and at least one")
        if not _unique_and_present(fingers.order):
            fail("fingers.order must list each finger at most once, and at least one")
        missing = [f.value for f in fingers.order if f not in fingers.min_quality]
        if missing:
            fail(f"fingers.min_quality has no threshold for: {', '.join(missing)}")
    for name, value in fingers.min_quality.items():
        if not 0 <= value <= 100:
            fail(f"fingers.min_quality.{name.value} must be 0..100")


def _check_attempts(policy: Policy, fail: Fail) -> None:
    for section, attempts in (
        ("face", policy.face.max_attempts),
        ("fingers", policy.fingers.max_attempts),
        ("signature", policy.signature.max_attempts),
    ):
        if not 1 <= attempts <= 20:
            fail(f"{section}.max_attempts must be 1..20")


def _check_finger_capture(policy: Policy, fail: Fail) -> None:
    fingers = policy.fingers
    if not 0 <= fingers.auto_capture_threshold <= 100:
        fail("fingers.auto_capture_threshold must be 0..100")
    duplicate = fingers.duplicate_check
    if duplicate.enabled:
        try:
            threshold_for(duplicate.false_match_rate)
        except ValueError as exc:
            fail(f"fingers.duplicate_check.false_match_rate: {exc}")
        _check_message(
            "fingers.duplicate_check.guidance", duplicate.guidance, {"matched", "asked"}, fail
        )


def _check_face_photo(policy: Policy, fail: Fail) -> None:
    if policy.face.photo_width < 100 or policy.face.photo_height < 100:
        fail("face.photo_width and face.photo_height must be at least 100 px")
    if not 30 <= policy.face.jpeg_quality <= 100:
        fail("face.jpeg_quality must be 30..100")


def _check_signature(policy: Policy, fail: Fail) -> None:
    sig = policy.signature
    if sig.image_width < 100 or sig.image_height < 50:
        fail("signature.image_width/image_height too small")
    if sig.timeout_s <= 0 or sig.idle_end_s <= 0:
        fail("signature.timeout_s and signature.idle_end_s must be positive")


def _check_face_thresholds(policy: Policy, fail: Fail) -> None:
    try:
        FaceThresholds.from_dict(policy.face.thresholds)
    except (ValueError, TypeError, AttributeError) as exc:
        fail(f"face.thresholds: {exc}")


def _check_delivery(policy: Policy, fail: Fail) -> None:
    delivery = policy.delivery
    if not delivery.required:
        return
    if not 1 <= delivery.max_attempts <= 20:
        fail("delivery.max_attempts must be 1..20")
    if not 0 <= delivery.min_quality <= 100:
        fail("delivery.min_quality must be 0..100")
    # The enrollment takes one finger per hand.
    if not 1 <= delivery.enrolled_fingers <= 2:
        fail("delivery.enrolled_fingers must be 1 or 2")
    cap = delivery.max_reference_validity_days
    if not (math.isfinite(cap) and 0 < cap <= 366):
        fail("delivery.max_reference_validity_days must be above 0 and at most 366")
    if delivery.visual_check.reason_min_length < 1:
        fail("delivery.visual_check.reason_min_length must be at least 1")
    try:
        threshold_for(delivery.false_match_rate)
    except ValueError as exc:
        fail(f"delivery.false_match_rate: {exc}")
    _check_message("delivery.guidance", delivery.guidance, {"finger"}, fail)
    if policy.fingers.required:
        fail("a delivery policy verifies one finger; it takes no enrollment prints")


def _check_eligibility(policy: Policy, fail: Fail) -> None:
    rule = policy.eligibility
    if not rule.required:
        return
    if not _unique_and_present(rule.filers):
        fail("eligibility.filers must list each filer at most once, and at least one")
    if not _unique_and_present(rule.places):
        fail("eligibility.places must list each place at most once, and at least one")
    if not 0 <= rule.certificate_max_age_days <= 3660:
        fail("eligibility.certificate_max_age_days must be 0..3660")
    if rule.override_reason_min_length < 1:
        fail("eligibility.override_reason_min_length must be at least 1")
    _check_certificate_photo(rule, fail)


def _check_certificate_photo(rule: EligibilityPolicy, fail: Fail) -> None:
    photo = rule.certificate_photo
    if photo.required and not rule.certificate_required:
        fail("eligibility.certificate_photo.required needs eligibility.certificate_required")
    if not 0 < photo.capture_timeout_s <= 600:
        fail("eligibility.certificate_photo.capture_timeout_s must be above 0 and at most 600")
    if not 640 <= photo.max_size <= 4096:
        fail("eligibility.certificate_photo.max_size must be 640..4096")
    if not 30 <= photo.jpeg_quality <= 100:
        fail("eligibility.certificate_photo.jpeg_quality must be 30..100")
    if photo.min_sharpness < 0 or not 0 <= photo.max_glare <= 1:
        fail("eligibility.certificate_photo: min_sharpness >= 0 and max_glare 0..1")


def _check_summary(policy: Policy, fail: Fail) -> None:
    if policy.summary_document:
        _check_message("policy.summary_document", policy.summary_document, set(), fail)
    _check_message("policy.summary_next", policy.summary_next, set(), fail)


def _check_sources(policy: Policy, fail: Fail) -> None:
    for source in policy.sources:
        if not source.startswith("https://"):
            fail(f"policy.sources: {source!r} is not an https:// address")


def _check_overrides(policy: Policy, fail: Fail) -> None:
    for kind in policy.overrides.allowed:
        if kind not in ("face", "finger", "signature"):
            fail(f"overrides.allowed: unknown capture kind {kind!r}")


_RULES: tuple[Callable[[Policy, Fail], None], ...] = (
    _check_header,
    _check_finger_choice,
    _check_attempts,
    _check_finger_capture,
    _check_face_photo,
    _check_signature,
    _check_face_thresholds,
    _check_delivery,
    _check_eligibility,
    _check_summary,
    _check_sources,
    _check_overrides,
)


class PolicySet:
    """The policies the daemon knows, by id (= the document profile of the API)."""

    def __init__(self, policies: list[Policy]) -> None:
        self.by_id: dict[str, Policy] = {}
        for policy in policies:
            if policy.id in self.by_id:
                raise PolicyError(f"two policies have the id {policy.id!r}")
            self.by_id[policy.id] = policy

    def __iter__(self) -> Any:
        return iter(self.by_id.values())

    def for_visit(self, profile: str, age: int) -> Policy:
        policy = self.by_id.get(profile)
        if policy is None:
            known = ", ".join(sorted(self.by_id)) or "none"
            raise InvalidArgument(Message.of("error.unknown_profile", profile=profile, known=known))
        if not policy.applies_to(age):
            others = [p.id for p in self.by_id.values() if p.applies_to(age)]
            ages = {"title": policy.title, "profile": policy.id}
            message = (
                Message.of(
                    "error.profile_age_hint",
                    **ages,
                    min_age=policy.min_age,
                    max_age=policy.max_age,
                    age=age,
                    others=", ".join(others),
                )
                if others
                else Message.of(
                    "error.profile_age", **ages, min_age=policy.min_age, max_age=policy.max_age
                )
            )
            raise InvalidArgument(message, profile=profile)
        return policy


def builtin_policy_files() -> list[Path]:
    """The policy files that ship with kitd, templates included, in name order."""
    folder = resources.files("kitd.policy") / "profiles"
    return sorted(Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".toml"))


def load_policies(extra_dirs: tuple[Path, ...] = ()) -> PolicySet:
    """The built-in policies (without templates) and those of `extra_dirs`; ids must be unique."""
    files = [f for f in builtin_policy_files() if not f.name.startswith("template")]
    for directory in extra_dirs:
        if not directory.is_dir():
            raise PolicyError(f"{directory}: policy folder not found")
        files += sorted(directory.glob("*.toml"))
    return PolicySet([load_policy(f) for f in files])

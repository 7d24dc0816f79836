"""The policy model: frozen dataclasses a policy file is validated into.

Finger positions use the ANSI/NIST-ITL / ISO 19794-4 codes (1 right thumb .. 5 right little, 6 left thumb
.. 10 left little), the same numbers as kit.v1.FingerPosition.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from kitd.locale.message import Message


class Hand(enum.StrEnum):
    """The right or the left hand."""

    RIGHT = "right"
    LEFT = "left"


class FingerName(enum.StrEnum):
    """A finger of a hand, thumb to little."""

    THUMB = "thumb"
    INDEX = "index"
    MIDDLE = "middle"
    RING = "ring"
    LITTLE = "little"


_FINGER_OFFSET = {
    FingerName.THUMB: 1,
    FingerName.INDEX: 2,
    FingerName.MIDDLE: 3,
    FingerName.RING: 4,
    FingerName.LITTLE: 5,
}


def finger_position(hand: Hand, finger: FingerName) -> int:
    """The ANSI/NIST-ITL finger position code."""
    return _FINGER_OFFSET[finger] + (0 if hand is Hand.RIGHT else 5)


def finger_of(position: int) -> tuple[Hand, FingerName]:
    """The hand and finger of an ANSI/NIST-ITL finger position code (1..10)."""
    if not 1 <= position <= 10:
        raise ValueError(f"finger position {position} is not 1..10")
    hand = Hand.RIGHT if position <= 5 else Hand.LEFT
    offset = position - (0 if hand is Hand.RIGHT else 5)
    return hand, next(f for f, o in _FINGER_OFFSET.items() if o == offset)


def finger_label(position: int) -> Message:
    """A finger's name for people (`finger.position.right_index`, ...), rendered in their language."""
    hand, finger = finger_of(position)
    return Message(f"finger.position.{hand.value}_{finger.value}")


class ExceptionKind(enum.StrEnum):
    """Why a finger cannot be printed: amputated, injured, temporarily or permanently unable."""

    AMPUTATED = "amputated"
    INJURED = "injured"
    TEMPORARILY_UNABLE = "temporarily_unable"
    PERMANENTLY_UNABLE = "permanently_unable"


class ExceptionScope(enum.StrEnum):
    """How far a finger exception reaches: one finger, or every finger of the visit."""

    # Only this finger is skipped; the hand's next fallback finger is asked.
    FINGER = "finger"
    # No further fingerprints are taken in this visit.
    ALL = "all"


@dataclass(frozen=True)
class ExceptionRule:
    """What a kind of finger exception does under a policy: its scope and the card's validity."""

    scope: ExceptionScope
    # 0 = the document's standard validity.
    card_validity_months: int = 0


class WaiverReason(enum.StrEnum):
    """Why a citizen does not sign: illiteracy, handicap, illness or another reason."""

    ILLITERACY = "illiteracy"
    HANDICAP = "handicap"
    ILLNESS = "illness"
    OTHER = "other"


@dataclass(frozen=True)
class FacePolicy:
    """A document's photo rules: whether it is taken, attempts, timeout, size and thresholds."""

    required: bool = True
    max_attempts: int = 5
    capture_timeout_s: float = 20.0
    # The printed photo: 35 x 45 mm at 600 dpi by default.
    photo_width: int = 827
    photo_height: int = 1063
    jpeg_quality: int = 92
    # Overrides of the face check thresholds (kitd.quality.face.FaceThresholds), by check id.
    thresholds: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DuplicateFingerCheck:
    """After each accepted print, compare it with every print already accepted in the visit."""

    enabled: bool = False
    # The comparator's threshold is the one measured for this false-match rate (kitd/matching/
    # thresholds.py): the share of two different fingers that would be taken for the same one.
    false_match_rate: float = 0.001
    # The message id of the operator's guidance (kitd/locale/catalogs); its text may use {matched}, the
    # finger the print looks like, and {asked}, the finger asked for.
    guidance: str = "finger.duplicate"


@dataclass(frozen=True)
class FingerPolicy:
    """A document's finger rules: ages, hands, finger order, attempts, thresholds, exceptions."""

    required: bool = True
    min_age: int = 12
    hands: tuple[Hand, ...] = (Hand.RIGHT, Hand.LEFT)
    # Fingers asked per hand, first the preferred one, then the fallbacks.
    order: tuple[FingerName, ...] = (
        FingerName.INDEX,
        FingerName.MIDDLE,
        FingerName.RING,
        FingerName.LITTLE,
        FingerName.THUMB,
    )
    max_attempts: int = 3
    capture_timeout_s: float = 15.0
    # Minimum overall quality (0..100) per finger.
    min_quality: dict[FingerName, int] = field(default_factory=dict)
    # When every finger of a hand is used up without a good print, keep the best one.
    accept_best_when_exhausted: bool = True
    exceptions: dict[ExceptionKind, ExceptionRule] = field(default_factory=dict)
    # Device-side auto-capture threshold (0..100) sent to the reader.
    auto_capture_threshold: int = 40
    duplicate_check: DuplicateFingerCheck = field(default_factory=DuplicateFingerCheck)

    def threshold(self, position: int) -> int:
        return self.min_quality.get(finger_of(position)[1], 0)


@dataclass(frozen=True)
class SignaturePolicy:
    """A document's signature rules: ages, attempts, timing, image size and waiver reasons."""

    required: bool = True
    min_age: int = 12
    max_attempts: int = 3
    timeout_s: float = 60.0
    # The capture ends on its own when the pen stays away this long after some ink.
    idle_end_s: float = 3.0
    image_width: int = 900
    image_height: int = 300
    waiver_reasons: tuple[WaiverReason, ...] = tuple(WaiverReason)
    # Overrides of the signature check thresholds, by name.
    thresholds: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VisualCheck:
    """The last resort of a delivery whose prints matched on no enrolled finger: the operator compares
    the citizen with the enrollment photo of the reference and records the outcome with a reason.
    """

    allowed: bool = False
    reason_min_length: int = 10


@dataclass(frozen=True)
class DeliveryPolicy:
    """A card delivery: the enrolled fingers verified 1:1 against the reference the back office sent."""

    required: bool = False
    # Attempts per enrolled finger; the delivery verifies when any attempt on any finger matches.
    max_attempts: int = 3
    # How many of the reference's enrolled fingers (one per hand, in its order) are tried: 1 or 2.
    enrolled_fingers: int = 2
    # The longest validity (issued_at to expires_at) the kit accepts of a reference, and the longest the
    # back office's `kitpkg reference --valid-days` seals.
    max_reference_validity_days: float = 30.0
    capture_timeout_s: float = 15.0
    # A print below this quality is retaken before it is compared (an attempt all the same).
    min_quality: int = 10
    # The comparator's threshold is the one measured for this false-match rate.
    false_match_rate: float = 0.001
    # The message id of the operator's guidance after a print that does not match; its text may use
    # {finger}, the finger asked for.
    guidance: str = "finger.delivery.mismatch"
    visual_check: VisualCheck = field(default_factory=VisualCheck)


class RequestFiler(enum.StrEnum):
    """Who filed a home visit's request through the municipality's online form."""

    CARE_PROVIDER = "care_provider"
    SOCIAL_WORKER = "social_worker"
    # The social service of a recognised welfare facility.
    WELFARE_SERVICE = "welfare_service"
    # A citizen without a social worker may file it themselves.
    CITIZEN = "citizen"


class VisitPlace(enum.StrEnum):
    """Where a home visit took place."""

    HOME = "home"
    CARE_HOME = "care_home"
    PSYCHIATRIC_CARE_HOME = "psychiatric_care_home"
    HOSPITAL = "hospital"
    OTHER_FACILITY = "other_facility"


@dataclass(frozen=True)
class CertificatePhotoPolicy:
    """A photo of the doctor's certificate, taken with the kit's camera in document mode (sharpness
    and glare instead of ICAO checks) and sealed with the package; health data, so off by default.
    """

    required: bool = False
    capture_timeout_s: float = 10.0
    # The longer side of the sealed JPEG, px.
    max_size: int = 2000
    jpeg_quality: int = 85
    # Document-mode limits (kitd.quality.document): the variance of the Laplacian of the page at
    # most 1000 px wide, and the share of the page burnt out by a reflection.
    min_sharpness: float = 60.0
    max_glare: float = 0.02


@dataclass(frozen=True)
class EligibilityPolicy:
    """Which evidence a home visit needs and what the operator records: the request (its reference,
    who filed it, the organisation), the doctor's certificate (shown, its date; never a diagnosis),
    optionally a photo of it, and the place of the visit. Without it the visit is not finalized unless
    the operator overrides with a reason (audited).
    """

    required: bool = False
    # Who may file the request.
    filers: tuple[RequestFiler, ...] = tuple(RequestFiler)
    # The reference of the municipality's online form must be recorded.
    request_reference_required: bool = True
    # A request filed by an organisation (every filer but the citizen) names it.
    organisation_required: bool = True
    # The citizen must show a doctor's certificate, and its date is recorded.
    certificate_required: bool = True
    # A certificate older than this (days before the visit) is not accepted; 0 = any age.
    certificate_max_age_days: int = 0
    certificate_photo: CertificatePhotoPolicy = field(default_factory=CertificatePhotoPolicy)
    places: tuple[VisitPlace, ...] = tuple(VisitPlace)
    override_reason_min_length: int = 10


@dataclass(frozen=True)
class OverridePolicy:
    """Which failed attempts an operator may accept, and how long the reason must be."""

    # Capture kinds whose failed attempts an operator may accept.
    allowed: tuple[str, ...] = ("face", "finger", "signature")
    reason_min_length: int = 5


@dataclass(frozen=True)
class Policy:
    """One document's versioned visit rules: ages, photo, fingers, signature, overrides, delivery,
    and a home visit's eligibility.
    """

    id: str
    version: str
    title: str
    min_age: int
    max_age: int
    face: FacePolicy
    fingers: FingerPolicy
    signature: SignaturePolicy
    overrides: OverridePolicy
    session_timeout_s: float = 3600.0
    description: str = ""
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    eligibility: EligibilityPolicy = field(default_factory=EligibilityPolicy)
    # Where the document's rules come from (cited in the file's header too).
    sources: tuple[str, ...] = ()
    # The citizen's summary: the message id of the document's name (else the title is shown), and of
    # what happens next.
    summary_document: str = ""
    summary_next: str = "summary.next.application"

    def applies_to(self, age: int) -> bool:
        return self.min_age <= age <= self.max_age

    def fingers_required(self, age: int) -> bool:
        return self.fingers.required and age >= self.fingers.min_age

    def signature_required(self, age: int) -> bool:
        return self.signature.required and age >= self.signature.min_age

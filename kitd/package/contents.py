"""What a finished visit hands to the packager: plain frozen dataclasses, no behaviour.

The session maps its state to a VisitContents and calls the sealer; nothing here touches a disk. Finger
positions are ANSI/NIST-ITL finger position codes (1 right thumb ... 5 right little, 6 left thumb ... 10 left
little); quality is 0..100 from kitd's own finger quality algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from kitd.audit.record import AuditRecord
from kitd.quality.check import CheckResult


@dataclass(frozen=True)
class FaceCapture:
    """The visit's photo as it goes into the package, with its checks."""

    jpeg: bytes
    width: int
    height: int
    checks: tuple[CheckResult, ...] = ()
    # The operator's reason when the photo was accepted despite failed checks; None when it passed.
    overridden_reason: str | None = None


@dataclass(frozen=True)
class FingerCapture:
    """One kept print as it goes into the package, with its quality and attempts."""

    # ANSI/NIST-ITL finger position code, 1..10.
    position: int
    # Grey image at 500 ppi, 0 = ridge (dark), as the scanner delivered it.
    pixels: NDArray[np.uint8]
    quality: int
    attempts: int = 1
    overridden_reason: str | None = None


@dataclass(frozen=True)
class SignatureCapture:
    """The signature as it goes into the package: image, pen stream and checks."""

    png: bytes
    # ISO/IEC 19794-7 time series of the pen, as recorded.
    iso_19794_7: bytes = b""
    checks: tuple[CheckResult, ...] = ()


@dataclass(frozen=True)
class FingerException:
    """A finger recorded as not captured, with the kind, reason and operator."""

    position: int
    # Policy exception kind: amputated, injured, temporarily_unable, permanently_unable.
    kind: str
    reason: str
    operator_id: str


@dataclass(frozen=True)
class SignatureWaiver:
    """A waived signature, with the reason, note and operator."""

    # Policy waiver reason: illiteracy, handicap, illness.
    reason: str
    note: str
    operator_id: str


@dataclass(frozen=True)
class Override:
    """An operator's override of a capture check, with the reason."""

    # What was overridden: "face", "finger:2", "signature".
    target: str
    reason: str
    operator_id: str


@dataclass(frozen=True)
class DeliveryVerification:
    """A card delivery's identity check: the fingerprint outcome over every attempt on the enrolled
    fingers and how identity was checked; never the prints, the reference templates or its photo.
    """

    reference_id: str
    # The finger that matched, else the first enrolled one.
    finger: int
    matched: bool
    # The best score over every attempt.
    score: float
    threshold: float
    attempts: int
    # "fingerprint", "visual_check" (the operator compared the citizen with the enrollment photo after
    # every fingerprint attempt failed) or "none".
    identity_check: str = "fingerprint"
    # Each attempt: finger, its number on that finger, and its score (None: below the quality minimum,
    # not compared).
    scores: tuple[tuple[int, int, float | None], ...] = ()
    visual_check_reason: str = ""
    visual_check_operator: str = ""


@dataclass(frozen=True)
class EligibilityOverride:
    """The operator's reason to finalize a home visit without the policy's evidence."""

    reason: str
    operator_id: str
    # What was missing: "record", "certificate", "certificate_photo".
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Eligibility:
    """A home visit's eligibility as recorded: the request, the doctor's certificate (shown, its date;
    never a diagnosis), its document-mode photo (sealed as its own file) and the place.
    """

    # False when the operator overrode before anything was recorded.
    recorded: bool
    request_reference: str = ""
    # care_provider, social_worker, welfare_service, citizen.
    filed_by: str = ""
    organisation: str = ""
    certificate_shown: bool = False
    # YYYY-MM-DD, empty when not shown.
    certificate_date: str = ""
    # home, care_home, psychiatric_care_home, hospital, other_facility.
    place: str = ""
    facility: str = ""
    operator_id: str = ""
    # The certificate's photo (JPEG), in memory until it is sealed.
    certificate_photo: bytes | None = None
    override: EligibilityOverride | None = None


@dataclass(frozen=True)
class VisitContents:
    """Everything a finished visit puts into its package, before encoding and sealing."""

    kit_id: str
    document_profile: str
    policy_id: str
    policy_version: str
    application_reference: str
    operator_id: str
    applicant_age: int
    started_at: datetime
    finished_at: datetime
    card_validity_months: int
    face: FaceCapture | None = None
    fingers: tuple[FingerCapture, ...] = ()
    signature: SignatureCapture | None = None
    finger_exceptions: tuple[FingerException, ...] = ()
    signature_waiver: SignatureWaiver | None = None
    overrides: tuple[Override, ...] = ()
    # The contiguous stretch of the kit's audit chain that covers the visit (AuditLog.records_since).
    audit_records: tuple[AuditRecord, ...] = ()
    delivery: DeliveryVerification | None = None
    # A home visit's eligibility; None for a policy that asks for none.
    eligibility: Eligibility | None = None

"""A home visit's eligibility: the evidence the policy asks for, as the operator records it.

The municipalities visit citizens with reduced mobility on a request filed through their online form
(by a care provider, a social worker, a welfare facility's social service or the citizen), on a doctor's
certificate the citizen shows at the visit. What is recorded here is the request's reference and filer,
whether the certificate was shown and its date (never a diagnosis), optionally a document-mode photo of
it (in memory until the package is sealed), and the place of the visit. A visit lacking the policy's
evidence is not finalized unless the operator overrides with a reason. Every change is reported to the
session's record sink for the audit.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from kitd.audit.session_records import RecordSink, SessionRecordKind
from kitd.errors import InvalidArgument, PolicyViolation, StepNotAllowed
from kitd.locale.message import Message
from kitd.policy.model import EligibilityPolicy, RequestFiler, VisitPlace
from kitd.quality.check import CheckResult


class Evidence(enum.StrEnum):
    """What a home visit's eligibility may still lack."""

    # Nothing recorded yet: the request and the place.
    RECORD = "record"
    # The doctor's certificate was not shown.
    CERTIFICATE = "certificate"
    # No photo of the certificate passed the document-mode checks.
    CERTIFICATE_PHOTO = "certificate_photo"


@dataclass(frozen=True)
class EligibilityRecord:
    """The eligibility as the operator recorded it at the visit."""

    request_reference: str
    filed_by: RequestFiler
    # The organisation that filed the request; empty when the citizen filed it.
    organisation: str
    certificate_shown: bool
    certificate_date: date | None
    place: VisitPlace
    # The facility's name for a visit outside the home (e.g. the care home), else empty.
    facility: str
    operator_id: str
    time: float


@dataclass(frozen=True)
class CertificatePhoto:
    """The document-mode photo of the doctor's certificate, in memory until the visit ends."""

    jpeg: bytes = field(repr=False)
    width: int
    height: int
    checks: tuple[CheckResult, ...]
    time: float

    @property
    def accepted(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass(frozen=True)
class EligibilityOverride:
    """The operator's decision to finalize without the policy's evidence, with the reason."""

    reason: str
    operator_id: str
    time: float
    missing: tuple[Evidence, ...]


@dataclass(frozen=True)
class EligibilityEntry:
    """What the operator enters for the eligibility (the request, the certificate, the place)."""

    request_reference: str
    filed_by: RequestFiler
    organisation: str
    certificate_shown: bool
    certificate_date: str
    place: VisitPlace
    facility: str = ""


@dataclass(frozen=True)
class EligibilityView:
    """A home visit's eligibility as others may read it: what was recorded, the certificate's photo,
    the override and what is still missing (whatever an override says).
    """

    required: bool
    photo_required: bool
    recorded: EligibilityRecord | None
    photo: CertificatePhoto | None
    photo_attempts: int
    override: EligibilityOverride | None
    missing: tuple[Evidence, ...]


def parse_certificate_date(text: str) -> date | None:
    """An ISO 8601 calendar date (YYYY-MM-DD), or None for an empty text."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(
            Message.of("error.certificate_date_invalid", date=text[:20]), field="certificate_date"
        ) from None


class Eligibility:
    """A visit's eligibility evidence; the session holds the lock and checks it is active."""

    def __init__(
        self, rule: EligibilityPolicy, *, clock: Callable[[], float], record: RecordSink
    ) -> None:
        self.rule = rule
        self._clock = clock
        self._record = record
        self.recorded: EligibilityRecord | None = None
        self.photo: CertificatePhoto | None = None
        self.photo_attempts = 0
        self.override: EligibilityOverride | None = None

    @property
    def required(self) -> bool:
        return self.rule.required

    @property
    def photo_required(self) -> bool:
        return self.rule.required and self.rule.certificate_photo.required

    def view(self) -> EligibilityView:
        """The eligibility as it stands, for reading only."""
        return EligibilityView(
            required=self.required,
            photo_required=self.photo_required,
            recorded=self.recorded,
            photo=self.photo,
            photo_attempts=self.photo_attempts,
            override=self.override,
            missing=self.missing(),
        )

    def missing(self) -> tuple[Evidence, ...]:
        """The evidence the policy asks for and the visit lacks, whatever an override says."""
        if not self.rule.required:
            return ()
        lacking: list[Evidence] = []
        recorded = self.recorded
        if recorded is None:
            lacking.append(Evidence.RECORD)
        elif self.rule.certificate_required and not recorded.certificate_shown:
            lacking.append(Evidence.CERTIFICATE)
        if self.photo_required and (self.photo is None or not self.photo.accepted):
            lacking.append(Evidence.CERTIFICATE_PHOTO)
        return tuple(lacking)

    @property
    def settled(self) -> bool:
        return not self.missing() or self.override is not None

    def check_settled(self) -> None:
        """PolicyViolation naming the first missing evidence, unless overridden."""
        missing = self.missing()
        if missing and self.override is None:
            raise PolicyViolation(
                Message(f"error.eligibility_missing.{missing[0].value}"),
                missing_evidence=",".join(m.value for m in missing),
            )

    def record(self, entry: EligibilityEntry, operator: str) -> EligibilityRecord:
        rule = self.rule
        if not rule.required:
            raise StepNotAllowed(Message("error.eligibility_not_asked"))
        reference = entry.request_reference.strip()
        if rule.request_reference_required and not reference:
            raise InvalidArgument(
                Message("error.eligibility_reference_required"), field="request_reference"
            )
        if entry.filed_by not in rule.filers:
            allowed = ", ".join(f.value for f in rule.filers)
            raise InvalidArgument(
                Message.of(
                    "error.eligibility_filer_not_allowed",
                    filer=entry.filed_by.value,
                    allowed=allowed,
                ),
                field="filed_by",
            )
        organisation = entry.organisation.strip()
        if (
            rule.organisation_required
            and entry.filed_by is not RequestFiler.CITIZEN
            and not organisation
        ):
            raise InvalidArgument(
                Message("error.eligibility_organisation_required"), field="organisation"
            )
        if entry.place not in rule.places:
            allowed = ", ".join(p.value for p in rule.places)
            raise InvalidArgument(
                Message.of(
                    "error.eligibility_place_not_allowed", place=entry.place.value, allowed=allowed
                ),
                field="place",
            )
        issued = self._check_date(entry)
        recorded = EligibilityRecord(
            request_reference=reference,
            filed_by=entry.filed_by,
            organisation=organisation,
            certificate_shown=entry.certificate_shown,
            certificate_date=issued,
            place=entry.place,
            facility=entry.facility.strip() if entry.place is not VisitPlace.HOME else "",
            operator_id=operator,
            time=self._clock(),
        )
        self.recorded = recorded
        self._record(SessionRecordKind.ELIGIBILITY, {**record_fields(recorded)})
        return recorded

    def _check_date(self, entry: EligibilityEntry) -> date | None:
        issued = parse_certificate_date(entry.certificate_date)
        if not entry.certificate_shown:
            # Nothing to date: a certificate not shown has no date on record.
            return None
        if issued is None:
            raise InvalidArgument(
                Message("error.certificate_date_required"), field="certificate_date"
            )
        today = datetime.fromtimestamp(self._clock()).date()
        if issued > today:
            raise InvalidArgument(
                Message.of("error.certificate_date_future", date=issued.isoformat()),
                field="certificate_date",
            )
        limit = self.rule.certificate_max_age_days
        if limit and (today - issued).days > limit:
            raise InvalidArgument(
                Message.of("error.certificate_too_old", date=issued.isoformat(), days=limit),
                field="certificate_date",
            )
        return issued

    def keep_photo(self, photo: CertificatePhoto, operator: str) -> None:
        """The newest photo replaces the one before (an accepted one is kept over a failed retake)."""
        self.photo_attempts += 1
        self._record(
            SessionRecordKind.ATTEMPT,
            {
                "capture": "certificate_photo",
                "number": self.photo_attempts,
                "quality": round(min(c.quality for c in photo.checks)) if photo.checks else 0,
                "accepted": photo.accepted,
                "failed_checks": [c.id for c in photo.checks if not c.passed],
                "operator_id": operator,
            },
        )
        if photo.accepted or self.photo is None or not self.photo.accepted:
            self.photo = photo

    def check_photo_allowed(self) -> None:
        if not self.photo_required:
            raise StepNotAllowed(Message("error.certificate_photo_not_asked"))

    def override_missing(self, reason: str, operator: str) -> EligibilityOverride:
        missing = self.missing()
        if not missing:
            raise StepNotAllowed(Message("error.eligibility_nothing_missing"))
        minimum = self.rule.override_reason_min_length
        if len(reason.strip()) < minimum:
            raise InvalidArgument(
                Message.of("error.override_reason_short", length=minimum), field="reason"
            )
        decision = EligibilityOverride(reason.strip(), operator, self._clock(), missing)
        self.override = decision
        self._record(
            SessionRecordKind.OVERRIDE,
            {
                "capture": "eligibility",
                "missing": [m.value for m in missing],
                "reason": decision.reason,
                "operator_id": operator,
            },
        )
        return decision

    def drop_photo(self) -> None:
        """The photo's bytes leave memory; what its checks said stays on the visit's record."""
        if self.photo is not None:
            self.photo = dataclasses.replace(self.photo, jpeg=b"")


def record_fields(recorded: EligibilityRecord) -> dict[str, object]:
    """The eligibility as the audit and the package's manifest carry it (no health data)."""
    return {
        "request_reference": recorded.request_reference,
        "filed_by": recorded.filed_by.value,
        "organisation": recorded.organisation,
        "certificate_shown": recorded.certificate_shown,
        "certificate_date": recorded.certificate_date.isoformat()
        if recorded.certificate_date
        else "",
        "place": recorded.place.value,
        "facility": recorded.facility,
        "operator_id": recorded.operator_id,
    }

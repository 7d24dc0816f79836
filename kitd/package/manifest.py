"""The package manifest: who made the package, for whom, when, and the size and SHA-256 of every file.

It is encoded as deterministic CBOR and is the payload of the kit's COSE_Sign1 signature, so the files are
covered by the signature through their digests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from kitd.package import deterministic_cbor, fields
from kitd.package.errors import MalformedPackage

MANIFEST_FORMAT = "kitd-manifest/1"


@dataclass(frozen=True)
class FileEntry:
    """One file named in the manifest with its size and digest."""

    name: str
    media_type: str
    size: int
    sha256: str

    @classmethod
    def of(cls, name: str, media_type: str, data: bytes) -> FileEntry:
        return cls(name, media_type, len(data), hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class AuditSummary:
    """Where the visit's audit records sit in the kit's chain, so a truncated copy is caught."""

    first_seq: int
    last_seq: int
    # Hash of the last record (the chain head at sealing time), lowercase hex.
    head_hash: str


@dataclass(frozen=True)
class EligibilitySummary:
    """A home visit's eligibility as the manifest carries it: the request, whether the doctor's
    certificate was shown and its date (never a diagnosis), the name of its photo file if any, the
    place, and the operator's override when evidence was missing.
    """

    recorded: bool
    request_reference: str
    filed_by: str
    organisation: str
    certificate_shown: bool
    certificate_date: str
    # The package file holding the certificate's photo, or "".
    certificate_photo: str
    place: str
    facility: str
    override_reason: str
    override_operator: str
    # What was missing when the operator overrode: "record", "certificate", "certificate_photo".
    override_missing: tuple[str, ...]

    def to_map(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "request_ref": self.request_reference,
            "filed_by": self.filed_by,
            "organisation": self.organisation,
            "cert_shown": self.certificate_shown,
            "cert_date": self.certificate_date,
            "cert_photo": self.certificate_photo,
            "place": self.place,
            "facility": self.facility,
            "override": None
            if not self.override_operator
            else {
                "reason": self.override_reason,
                "operator_id": self.override_operator,
                "missing": list(self.override_missing),
            },
        }

    @classmethod
    def from_map(cls, value: Any) -> EligibilitySummary:
        doc = fields.as_map(value, "the manifest's eligibility")
        what = "the eligibility's"
        override = doc.get("override")
        reason, operator, missing = "", "", ()
        if override is not None:
            decision = fields.as_map(override, "the eligibility override")
            reason = fields.text(decision, "reason", "the eligibility override's")
            operator = fields.text(decision, "operator_id", "the eligibility override's")
            items = fields.as_list(decision.get("missing"), "the override's missing evidence")
            if not all(isinstance(item, str) for item in items):
                raise MalformedPackage("the override's missing evidence is not a list of text")
            missing = tuple(items)
        return cls(
            recorded=fields.boolean(doc, "recorded", what),
            request_reference=fields.text(doc, "request_ref", what),
            filed_by=fields.text(doc, "filed_by", what),
            organisation=fields.text(doc, "organisation", what),
            certificate_shown=fields.boolean(doc, "cert_shown", what),
            certificate_date=fields.text(doc, "cert_date", what),
            certificate_photo=fields.text(doc, "cert_photo", what),
            place=fields.text(doc, "place", what),
            facility=fields.text(doc, "facility", what),
            override_reason=reason,
            override_operator=operator,
            override_missing=missing,
        )


@dataclass(frozen=True)
class Manifest:
    """The package's table of contents, signed with it: visit data and every file's digest."""

    package_id: str
    kit_id: str
    kit_key_id: str
    recipient_key_id: str
    document_profile: str
    policy_id: str
    policy_version: str
    application_reference: str
    # RFC 3339 UTC timestamps with milliseconds.
    started_at: str
    finished_at: str
    sealed_at: str
    files: tuple[FileEntry, ...]
    audit: AuditSummary | None
    # A home visit's eligibility; absent (None) for a policy that asks for none.
    eligibility: EligibilitySummary | None = None

    def to_cbor(self) -> bytes:
        extra: dict[str, Any] = {}
        if self.eligibility is not None:
            extra["eligibility"] = self.eligibility.to_map()
        return deterministic_cbor.encode(
            {
                **extra,
                "format": MANIFEST_FORMAT,
                "package_id": self.package_id,
                "kit_id": self.kit_id,
                "kit_key_id": self.kit_key_id,
                "recipient_key_id": self.recipient_key_id,
                "document_profile": self.document_profile,
                "policy_id": self.policy_id,
                "policy_version": self.policy_version,
                "application_ref": self.application_reference,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "sealed_at": self.sealed_at,
                "files": [
                    {"name": f.name, "media_type": f.media_type, "size": f.size, "sha256": f.sha256}
                    for f in self.files
                ],
                "audit": None
                if self.audit is None
                else {
                    "first_seq": self.audit.first_seq,
                    "last_seq": self.audit.last_seq,
                    "head_hash": self.audit.head_hash,
                },
            }
        )

    @classmethod
    def from_cbor(cls, data: bytes) -> Manifest:
        try:
            doc = fields.as_map(deterministic_cbor.decode(data), "the manifest")
        except ValueError as exc:
            raise MalformedPackage(f"the manifest is not readable: {exc!r}") from exc
        if doc.get("format") != MANIFEST_FORMAT:
            raise MalformedPackage(f"unknown manifest format {doc.get('format')!r}")
        what = "the manifest's"
        entries = []
        for item in fields.as_list(doc.get("files"), "the manifest's file list"):
            entry = fields.as_map(item, "a manifest file entry")
            entries.append(
                FileEntry(
                    fields.text(entry, "name", "a file entry's"),
                    fields.text(entry, "media_type", "a file entry's"),
                    fields.integer(entry, "size", "a file entry's"),
                    fields.text(entry, "sha256", "a file entry's"),
                )
            )
        audit = None
        if doc.get("audit") is not None:
            summary = fields.as_map(doc["audit"], "the manifest's audit summary")
            audit = AuditSummary(
                fields.integer(summary, "first_seq", "the audit summary's"),
                fields.integer(summary, "last_seq", "the audit summary's"),
                fields.text(summary, "head_hash", "the audit summary's"),
            )
        return cls(
            package_id=fields.text(doc, "package_id", what),
            kit_id=fields.text(doc, "kit_id", what),
            kit_key_id=fields.text(doc, "kit_key_id", what),
            recipient_key_id=fields.text(doc, "recipient_key_id", what),
            document_profile=fields.text(doc, "document_profile", what),
            policy_id=fields.text(doc, "policy_id", what),
            policy_version=fields.text(doc, "policy_version", what),
            application_reference=fields.text(doc, "application_ref", what),
            started_at=fields.text(doc, "started_at", what),
            finished_at=fields.text(doc, "finished_at", what),
            sealed_at=fields.text(doc, "sealed_at", what),
            files=tuple(entries),
            audit=audit,
            eligibility=None
            if doc.get("eligibility") is None
            else EligibilitySummary.from_map(doc["eligibility"]),
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view for reports."""
        result: dict[str, Any] = deterministic_cbor.decode(self.to_cbor())
        return result

"""The package manifest: who made the package, for whom, when, and the size and SHA-256 of every file.

It is encoded as deterministic CBOR and is the payload of the kit's COSE_Sign1 signature, so the files are
covered by the signature through their digests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from kitd.package import deterministic_cbor
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

    def to_cbor(self) -> bytes:
        return deterministic_cbor.encode(
            {
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
            doc: dict[str, Any] = deterministic_cbor.decode(data)
            if doc.get("format") != MANIFEST_FORMAT:
                raise MalformedPackage(f"unknown manifest format {doc.get('format')!r}")
            audit = doc["audit"]
            return cls(
                package_id=doc["package_id"],
                kit_id=doc["kit_id"],
                kit_key_id=doc["kit_key_id"],
                recipient_key_id=doc["recipient_key_id"],
                document_profile=doc["document_profile"],
                policy_id=doc["policy_id"],
                policy_version=doc["policy_version"],
                application_reference=doc["application_ref"],
                started_at=doc["started_at"],
                finished_at=doc["finished_at"],
                sealed_at=doc["sealed_at"],
                files=tuple(
                    FileEntry(f["name"], f["media_type"], f["size"], f["sha256"])
                    for f in doc["files"]
                ),
                audit=None
                if audit is None
                else AuditSummary(audit["first_seq"], audit["last_seq"], audit["head_hash"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedPackage(f"the manifest is not readable: {exc!r}") from exc

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view for reports."""
        result: dict[str, Any] = deterministic_cbor.decode(self.to_cbor())
        return result

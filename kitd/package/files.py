"""The files inside a package: their names, media types and how a visit becomes them.

Image encoding (WSQ for fingers, decoding the signature PNG) is kept apart in `encode_images`, because it
is the slow part and the session may run it while the operator is still finishing the visit.
"""

from __future__ import annotations

from dataclasses import dataclass

from kitd.audit.errors import AuditError
from kitd.audit.record import encode_records
from kitd.audit.verify import verify_chain
from kitd.package.ansi_nist import (
    EncodedFingerprint,
    EncodedSignature,
    build_transaction,
    signature_pixels_from_png,
)
from kitd.package.contents import VisitContents
from kitd.package.errors import PackageBuildError
from kitd.package.manifest import AuditSummary, EligibilitySummary
from kitd.records.wsq import WsqError, encode_wsq

TRANSACTION_NAME = "transaction.an2"
TRANSACTION_MEDIA_TYPE = "application/x-ansi-nist-itl"
AUDIT_NAME = "audit.cbor-seq"
AUDIT_MEDIA_TYPE = "application/cbor-seq"
SIGNATURE_SERIES_NAME = "signature.iso19794-7"
SIGNATURE_SERIES_MEDIA_TYPE = "application/octet-stream"
# A home visit's doctor's certificate, photographed in document mode (health data: sealed only).
CERTIFICATE_PHOTO_NAME = "certificate.jpg"
CERTIFICATE_PHOTO_MEDIA_TYPE = "image/jpeg"


@dataclass(frozen=True)
class EncodedImages:
    """The prints and the signature already encoded for their ANSI/NIST-ITL records."""

    fingers: tuple[EncodedFingerprint, ...]
    signature: EncodedSignature | None


@dataclass(frozen=True)
class PackageFile:
    """One file inside the package payload: its name, media type and bytes."""

    name: str
    media_type: str
    data: bytes


def encode_images(contents: VisitContents) -> EncodedImages:
    """The visit's images encoded for the package: fingers as WSQ, the signature as grey pixels."""
    fingers = []
    for finger in contents.fingers:
        try:
            wsq = encode_wsq(finger.pixels)
        except WsqError as exc:
            raise PackageBuildError(f"finger {finger.position}: {exc}") from exc
        height, width = finger.pixels.shape
        fingers.append(
            EncodedFingerprint(
                position=finger.position,
                wsq=wsq,
                width=width,
                height=height,
                quality=finger.quality,
                attempts=finger.attempts,
                overridden_reason=finger.overridden_reason,
            )
        )
    signature = (
        None
        if contents.signature is None
        else EncodedSignature(signature_pixels_from_png(contents.signature.png))
    )
    return EncodedImages(tuple(fingers), signature)


def audit_summary(contents: VisitContents) -> AuditSummary | None:
    """The visit's audit records, checked as a chain: first and last sequence numbers, head hash."""
    records = contents.audit_records
    if not records:
        return None
    try:
        verify_chain(records, from_genesis=False)
    except AuditError as exc:
        raise PackageBuildError(f"the visit's audit records are not a valid chain: {exc}") from exc
    return AuditSummary(records[0].seq, records[-1].seq, records[-1].hash.hex())


def eligibility_summary(contents: VisitContents) -> EligibilitySummary | None:
    """The manifest's view of a home visit's eligibility, naming the certificate photo's file."""
    e = contents.eligibility
    if e is None:
        return None
    decision = e.override
    return EligibilitySummary(
        recorded=e.recorded,
        request_reference=e.request_reference,
        filed_by=e.filed_by,
        organisation=e.organisation,
        certificate_shown=e.certificate_shown,
        certificate_date=e.certificate_date,
        certificate_photo=CERTIFICATE_PHOTO_NAME if e.certificate_photo is not None else "",
        place=e.place,
        facility=e.facility,
        override_reason=decision.reason if decision else "",
        override_operator=decision.operator_id if decision else "",
        override_missing=decision.missing if decision else (),
    )


def package_files(
    contents: VisitContents, package_id: str, images: EncodedImages
) -> tuple[PackageFile, ...]:
    """The payload's files: transaction, signature time series, certificate photo, audit records."""
    files = [
        PackageFile(
            TRANSACTION_NAME,
            TRANSACTION_MEDIA_TYPE,
            build_transaction(contents, package_id, images.fingers, images.signature),
        )
    ]
    if contents.signature is not None and contents.signature.iso_19794_7:
        files.append(
            PackageFile(
                SIGNATURE_SERIES_NAME,
                SIGNATURE_SERIES_MEDIA_TYPE,
                contents.signature.iso_19794_7,
            )
        )
    eligibility = contents.eligibility
    if eligibility is not None and eligibility.certificate_photo is not None:
        files.append(
            PackageFile(
                CERTIFICATE_PHOTO_NAME, CERTIFICATE_PHOTO_MEDIA_TYPE, eligibility.certificate_photo
            )
        )
    if contents.audit_records:
        files.append(
            PackageFile(AUDIT_NAME, AUDIT_MEDIA_TYPE, encode_records(contents.audit_records))
        )
    return tuple(files)

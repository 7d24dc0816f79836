"""The ANSI/NIST-ITL 1-2011 transaction of a visit, built and read with `nistitl`.

Records: Type-1 (transaction), Type-2 (application data, user-defined fields documented in
docs/package-format.md), Type-10 (face, JPEG, with the ICAO check summary in 10.200), one Type-14 per
finger (WSQ 0.75 bpp, finger position, quality from kitd's algorithm in 14.024) and a Type-8 signature
(uncompressed 8-bit grey). Works on bytes only; it must never write a file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import nistitl
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from kitd.package.contents import Eligibility, FaceCapture, VisitContents
from kitd.package.errors import MalformedPackage, PackageBuildError
from kitd.quality.check import CheckResult

VERSION = "0500"  # ANSI/NIST-ITL 1-2011
TRANSACTION_TYPE = "EIDENR"
# 19.69 pixels per millimetre = 500 ppi.
NATIVE_RESOLUTION = "19.69"
FINGER_PPI = 500
# Type-14 quality metric (14.024): kitd's own NFIQ 2-style algorithm. The vendor id is not registered
# with IBIA; FFFF marks a locally defined algorithm and the product code names its version.
QUALITY_VENDOR_ID = "FFFF"
QUALITY_PRODUCT_CODE = 1
# Type-10 subject acquisition profile 50: ISO/IEC 19794-5 full frontal.
FACE_SAP = "50"
# Type-8: signature of the subject, scanned uncompressed, native resolution.
SIGNATURE_OF_SUBJECT = 0
SCANNED_UNCOMPRESSED = 0
NATIVE_SCANNING_RESOLUTION = 1
_TYPE8_HEADER = "!BBBHH"

# Control characters: the separators of the ANSI/NIST-ITL text encoding (0x1C-0x1F) and every other
# C0/C1 control (a newline, an ESC that would drive a terminal showing the record); operator text
# must carry none of them. The API refuses them already; this is the writer's own guard.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class EncodedFingerprint:
    """One print ready for its Type-14 record: WSQ bytes, size, quality, attempts, override."""

    position: int
    wsq: bytes
    width: int
    height: int
    quality: int
    attempts: int
    overridden_reason: str | None


@dataclass(frozen=True)
class EncodedSignature:
    """The signature image ready for its Type-8 record."""

    pixels: NDArray[np.uint8]


@dataclass(frozen=True)
class ReadFingerprint:
    """A print as read back from a transaction's Type-14 record."""

    position: int
    wsq: bytes
    quality: int


@dataclass(frozen=True)
class ReadTransaction:
    """A transaction as read back: its TCN, Type-2 fields, photo, prints and signature."""

    transaction_control_number: str
    application_data: dict[str, str]
    face_jpeg: bytes | None
    fingers: tuple[ReadFingerprint, ...]
    signature_pixels: NDArray[np.uint8] | None


def text(value: object) -> str:
    """Operator text as the transaction can hold it: Latin-1, no control characters (the audit keeps
    the original).
    """
    cleaned = _CONTROLS.sub(" ", str(value))
    return cleaned.encode("latin-1", errors="replace").decode("latin-1")


def nist_date(moment: datetime) -> str:
    """A moment as an ANSI/NIST-ITL date (YYYYMMDD, UTC)."""
    return moment.astimezone(UTC).strftime("%Y%m%d")


def nist_gmt(moment: datetime) -> str:
    """A moment as an ANSI/NIST-ITL GMT field (YYYYMMDDhhmmssZ)."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def signature_pixels_from_png(png: bytes) -> NDArray[np.uint8]:
    """The grey pixels of a signature PNG, transparent ink flattened on white."""
    try:
        with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
            if image.mode in {"RGBA", "LA"} or "transparency" in image.info:
                # Ink on a transparent canvas: flatten on white so the strokes stay dark.
                canvas = Image.new("RGBA", image.size, (255, 255, 255, 255))
                canvas.alpha_composite(image.convert("RGBA"))
                grey = canvas.convert("L")
            else:
                grey = image.convert("L")
            pixels = np.asarray(grey, dtype=np.uint8).copy()
    except (OSError, ValueError) as exc:
        raise PackageBuildError(f"the signature image is not a readable PNG: {exc}") from exc
    if pixels.shape[0] > 0xFFFF or pixels.shape[1] > 0xFFFF:
        raise PackageBuildError(f"the signature image {pixels.shape} is too large for Type-8")
    return pixels


def _check_summary(checks: tuple[CheckResult, ...]) -> list[list[str]]:
    return [
        [c.id, "1" if c.passed else "0", f"{c.value:.4g}", f"{c.threshold:.4g}", str(c.quality)]
        for c in checks
    ]


def build_transaction(
    contents: VisitContents,
    package_id: str,
    fingers: tuple[EncodedFingerprint, ...],
    signature: EncodedSignature | None,
) -> bytes:
    """The visit as one ANSI/NIST-ITL transaction: Type-1, Type-2, then the face (Type-10), the
    prints (Type-14) and the signature (Type-8), numbered by IDC in that order.
    """
    message = nistitl.Message()
    _fill_transaction_record(message[0], contents, package_id)
    message += _visit_record(contents, idc=0)
    idc = 0
    if contents.face is not None:
        idc += 1
        message += _face_record(contents, contents.face, idc=idc)
    for finger in fingers:
        idc += 1
        message += _finger_record(contents, finger, idc=idc)
    if signature is not None:
        idc += 1
        message += _signature_record(signature, idc=idc)
    data: bytes = message.NIST
    return data


def _fill_transaction_record(
    r1: nistitl.AsciiRecord, contents: VisitContents, package_id: str
) -> None:
    """Type-1: version, transaction type, dates, origin and the package id as TCN."""
    r1.VER = VERSION
    r1.TOT = TRANSACTION_TYPE
    r1.DAT = nist_date(contents.finished_at)
    r1.DAI = "BE-BACKOFFICE"
    r1.ORI = text(contents.kit_id)
    r1.TCN = package_id
    r1.NSR = NATIVE_RESOLUTION
    r1.NTR = NATIVE_RESOLUTION
    r1._14 = nist_gmt(contents.finished_at)


def _visit_record(contents: VisitContents, *, idc: int) -> nistitl.AsciiRecord:
    """Type-2: the visit's user-defined fields (application, policy, operator, exceptions, waiver,
    overrides, the delivery's verification).
    """
    r2 = nistitl.AsciiRecord(2)
    r2.IDC = idc
    for tag, value in (
        (10, contents.application_reference),
        (11, contents.document_profile),
        (12, contents.policy_id),
        (13, contents.policy_version),
        (14, contents.kit_id),
        (15, contents.operator_id),
        (16, contents.applicant_age),
        (17, contents.card_validity_months),
        (18, nist_gmt(contents.started_at)),
        (19, nist_gmt(contents.finished_at)),
    ):
        r2 += nistitl.Field(2, tag, text(value))
    if contents.finger_exceptions:
        r2 += nistitl.Field(
            2,
            20,
            [
                [str(e.position), text(e.kind), text(e.reason), text(e.operator_id)]
                for e in contents.finger_exceptions
            ],
        )
    if contents.signature_waiver is not None:
        waiver = contents.signature_waiver
        r2 += nistitl.Field(
            2, 21, [[text(waiver.reason), text(waiver.note), text(waiver.operator_id)]]
        )
    if contents.signature is not None and contents.signature.checks:
        r2 += nistitl.Field(2, 23, _check_summary(contents.signature.checks))
    if contents.delivery is not None:
        d = contents.delivery
        r2 += nistitl.Field(
            2,
            24,
            [
                [
                    text(d.reference_id),
                    str(d.finger),
                    "match" if d.matched else "no_match",
                    f"{d.score:.2f}",
                    f"{d.threshold:.2f}",
                    str(d.attempts),
                    d.identity_check,
                ]
            ],
        )
        if d.scores:
            r2 += nistitl.Field(
                2,
                25,
                [
                    [str(finger), str(number), "-" if score is None else f"{score:.2f}"]
                    for finger, number, score in d.scores
                ],
            )
        if d.visual_check_operator:
            r2 += nistitl.Field(
                2, 26, [[text(d.visual_check_operator), text(d.visual_check_reason)]]
            )
    if contents.eligibility is not None:
        _eligibility_fields(r2, contents.eligibility)
    if contents.overrides:
        r2 += nistitl.Field(
            2,
            22,
            [[text(o.target), text(o.reason), text(o.operator_id)] for o in contents.overrides],
        )
    return r2


def _eligibility_fields(r2: nistitl.AsciiRecord, eligibility: Eligibility) -> None:
    """2.027-2.030: a home visit's request, doctor's certificate, place and override."""
    if eligibility.recorded:
        r2 += nistitl.Field(
            2,
            27,
            [
                [
                    text(eligibility.request_reference),
                    eligibility.filed_by,
                    text(eligibility.organisation),
                ]
            ],
        )
        r2 += nistitl.Field(
            2,
            28,
            [
                [
                    "shown" if eligibility.certificate_shown else "not_shown",
                    eligibility.certificate_date.replace("-", ""),
                    "photo" if eligibility.certificate_photo is not None else "no_photo",
                ]
            ],
        )
        r2 += nistitl.Field(2, 29, [[eligibility.place, text(eligibility.facility)]])
    if eligibility.override is not None:
        decision = eligibility.override
        r2 += nistitl.Field(
            2,
            30,
            [[text(decision.reason), text(decision.operator_id), ",".join(decision.missing)]],
        )


def _face_record(contents: VisitContents, face: FaceCapture, *, idc: int) -> nistitl.AsciiRecord:
    """Type-10: the photo as JPEG with its checks and any override."""
    date = nist_date(contents.finished_at)
    r10 = nistitl.AsciiRecord(10)
    r10.IDC = idc
    r10._3 = "FACE"
    r10._4 = text(contents.kit_id)
    r10._5 = date
    r10._6 = str(face.width)
    r10._7 = str(face.height)
    r10._8 = "0"
    r10._9 = "1"
    r10._10 = "1"
    r10._11 = "JPEGB"
    r10._12 = "YCC"
    r10._13 = FACE_SAP
    r10._20 = "F"
    if face.checks:
        r10 += nistitl.Field(10, 200, _check_summary(face.checks))
    if face.overridden_reason is not None:
        r10._201 = text(face.overridden_reason)
    r10._999 = face.jpeg
    return r10


def _finger_record(
    contents: VisitContents, finger: EncodedFingerprint, *, idc: int
) -> nistitl.AsciiRecord:
    """Type-14: one plain live-scan print as WSQ with its quality, attempts and any override."""
    if not 1 <= finger.position <= 10:
        raise PackageBuildError(f"finger position {finger.position} is not a code 1..10")
    date = nist_date(contents.finished_at)
    r14 = nistitl.AsciiRecord(14)
    r14.IDC = idc
    r14._3 = "0"  # live-scan plain
    r14._4 = text(contents.kit_id)
    r14._5 = date
    r14._6 = str(finger.width)
    r14._7 = str(finger.height)
    r14._8 = "1"  # pixels per inch
    r14._9 = str(FINGER_PPI)
    r14._10 = str(FINGER_PPI)
    r14._11 = "WSQ20"
    r14._12 = "8"
    r14._13 = str(finger.position)
    r14 += nistitl.Field(
        14,
        24,
        [
            [
                str(finger.position),
                str(finger.quality),
                QUALITY_VENDOR_ID,
                str(QUALITY_PRODUCT_CODE),
            ]
        ],
    )
    r14._200 = str(finger.attempts)
    if finger.overridden_reason is not None:
        r14._201 = text(finger.overridden_reason)
    r14._999 = finger.wsq
    return r14


def _signature_record(signature: EncodedSignature, *, idc: int) -> nistitl.BinaryRecord:
    """Type-8: the signature of the subject, scanned uncompressed."""
    height, width = signature.pixels.shape
    r8 = nistitl.BinaryRecord(8)
    r8.IDC = idc
    r8.pack(
        _TYPE8_HEADER,
        SIGNATURE_OF_SUBJECT,
        SCANNED_UNCOMPRESSED,
        NATIVE_SCANNING_RESOLUTION,
        width,
        height,
        signature.pixels.tobytes(),
    )
    return r8


def read_transaction(data: bytes) -> ReadTransaction:
    """The records of an ANSI/NIST-ITL transaction; one that does not parse is MalformedPackage."""
    message = nistitl.Message()
    try:
        message.parse(data)
    except nistitl.NistException as exc:
        raise MalformedPackage(f"the ANSI/NIST-ITL transaction does not parse: {exc}") from exc
    try:
        tcn = str(message[0].TCN)
        application: dict[str, str] = {}
        for record in message.iter(2):
            for tag in range(10, 31):
                field = record[tag]
                if field is not None:
                    application[f"2.{tag:03d}"] = _field_text(field)
        face = next((bytes(r.DATA) for r in message.iter(10)), None)
        fingers = tuple(
            ReadFingerprint(int(r._13), bytes(r.DATA), int(r[24][0].values[1]))
            for r in message.iter(14)
        )
        signature = None
        for r8 in message.iter(8):
            _kind, _srt, _isr, width, height, pixels = r8.unpack(_TYPE8_HEADER)
            signature = np.frombuffer(pixels, dtype=np.uint8).reshape(height, width).copy()
    except (nistitl.NistException, KeyError, ValueError, IndexError, TypeError) as exc:
        raise MalformedPackage(f"the ANSI/NIST-ITL transaction lacks a field: {exc!r}") from exc
    return ReadTransaction(tcn, application, face, fingers, signature)


def _field_text(field: object) -> str:
    value = getattr(field, "value", "")
    if isinstance(value, list):
        return "; ".join(
            "|".join(str(v) for v in item) if isinstance(item, list) else str(item)
            for item in value
        )
    return str(value)

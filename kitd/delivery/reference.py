"""The sealed reference download: format, sealing (back office) and opening (kit).

    "KITREF" 0x00 0x01 | u32 header length | header (deterministic CBOR) | HPKE enc || ciphertext

The header carries routing data only ({format, reference_id, kit_id, recipient_key_id, sealed_at,
suite}) and is bound to the ciphertext as HPKE `info` (RFC 9180 base mode, DHKEM(P-256, HKDF-SHA256)/
HKDF-SHA256/AES-256-GCM, as the package). The plaintext is a COSE_Sign1 (ES256) by the back office's
reference-signing key over a deterministic-CBOR map {format, reference_id, kit_id,
application_reference, fingers (the enrolled positions, in the order the kit asks for them), template
(an ISO/IEC 19794-2:2005 record with one view per enrolled finger, one finger per hand, each with its
ridge flow in the view's extended data), photo (the
enrollment photo as JPEG, or empty: what an operator's visual identity check compares with), issued_at,
expires_at}. Opening checks, in order: the size, the frame, the recipient key, decryption, the
structure of the COSE_Sign1 and the signature, that the signed kit id and reference id are the
header's, and the validity window; each failure is its own typed error, and a structure of the wrong
shape anywhere is a typed error too, never a crash. Whether the validity is longer than a policy allows
is the visit's check (`check_validity`). Pure bytes and keys: nothing here reads or writes files.
"""

from __future__ import annotations

import math
import struct
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from kitd.delivery.errors import (
    ReferenceExpired,
    ReferenceMalformed,
    ReferenceNotForThisKit,
    ReferenceTampered,
    ReferenceTooLarge,
    ReferenceValidityTooLong,
)
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_id import key_id_of
from kitd.matching.template import Template
from kitd.package import cose, deterministic_cbor, hpke
from kitd.package.errors import PackageError
from kitd.package.header import SUITE_NAME
from kitd.records.iso19794_2 import (
    MinutiaeRecordError,
    MinutiaeView,
    decode_iso19794_2,
    encode_iso19794_2,
)

MAGIC = b"KITREF\x00\x01"
HEADER_FORMAT = "kitd-reference-header/1"
PAYLOAD_FORMAT = "kitd-reference/2"
MEDIA_TYPE = "application/vnd.kitd.delivery-reference"
# The largest sealed download the kit reads (the API's CreateSessionRequest.delivery_reference has the
# same bound): two templates of about 6.5 kB each (minutiae and ridge flow) and a photo of at most
# MAX_PHOTO_BYTES.
MAX_REFERENCE_BYTES = 256 * 1024
MAX_PHOTO_BYTES = 160 * 1024
# The enrollment takes one finger per hand: a reference carries one or two.
MAX_ENROLLED_FINGERS = 2
_JPEG_START = b"\xff\xd8\xff"


@dataclass(frozen=True)
class EnrolledFinger:
    """One enrolled finger of a reference: its ISO position and its minutiae template."""

    finger: int
    template: Template = field(repr=False)


@dataclass(frozen=True)
class DeliveryReference:
    """A card delivery's opened reference: the enrolled fingers' templates, the enrollment photo and the
    visit it is for.
    """

    reference_id: str
    kit_id: str
    application_reference: str
    # The enrolled fingers, in the order the kit asks for them (one per hand).
    fingers: tuple[EnrolledFinger, ...]
    issued_at: datetime
    expires_at: datetime
    # The enrollment photo (JPEG) for the operator's visual identity check; empty when the back office
    # sent none.
    photo: bytes = field(default=b"", repr=False)

    @property
    def positions(self) -> tuple[int, ...]:
        return tuple(f.finger for f in self.fingers)

    @property
    def validity(self) -> timedelta:
        return self.expires_at - self.issued_at

    @property
    def ridge_flow(self) -> bool:
        """Whether every enrolled template carries its ridge flow (a record from an older back office
        carries none): then the comparisons and their thresholds use it, otherwise none does.
        """
        return all(f.template.flow is not None for f in self.fingers)

    def compared_template(self, finger: EnrolledFinger) -> Template:
        """The template a delivery print of `finger` is compared with: without the flow unless every
        enrolled finger has one, so that one threshold holds for every comparison of the visit.
        """
        return finger.template if self.ridge_flow else finger.template.without_flow()


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise ValueError(f"a time must be an RFC 3339 string, got {text!r}")
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def new_reference_id() -> str:
    """A new random id for a reference download."""
    return str(uuid.uuid4())


def validity_days(days: float, max_days: float) -> timedelta:
    """A reference's validity of `days`, refused (ValueError, saying why) unless it is a finite number of
    days above 0 and at most `max_days` (the delivery policy's cap).
    """
    if not isinstance(days, int | float) or not math.isfinite(days) or days <= 0:
        raise ValueError(f"the validity must be a finite number of days above 0, not {days!r}")
    if days > max_days:
        raise ValueError(
            f"a validity of {days:g} days is longer than the delivery policy allows "
            f"({max_days:g} days)"
        )
    return timedelta(days=days)


def check_validity(reference: DeliveryReference, max_days: float) -> None:
    """Refuses a reference valid for longer than a delivery policy allows (ReferenceValidityTooLong)."""
    if reference.validity > timedelta(days=max_days):
        raise ReferenceValidityTooLong(
            days=f"{reference.validity / timedelta(days=1):g}", max_days=f"{max_days:g}"
        )


def _check_photo(photo: bytes) -> None:
    if len(photo) > MAX_PHOTO_BYTES:
        raise ValueError(f"the photo has {len(photo)} bytes, at most {MAX_PHOTO_BYTES} fit")
    if photo and not photo.startswith(_JPEG_START):
        raise ValueError("the photo is not a JPEG")


def _check_fingers(positions: list[int]) -> None:
    if not 1 <= len(positions) <= MAX_ENROLLED_FINGERS:
        raise ValueError(
            f"a reference holds 1..{MAX_ENROLLED_FINGERS} fingers, not {len(positions)}"
        )
    if len(set(positions)) != len(positions) or not all(1 <= p <= 10 for p in positions):
        raise ValueError(f"the enrolled fingers {positions} are not distinct positions 1..10")


def seal_reference(
    reference: DeliveryReference,
    signer: ec.EllipticCurvePrivateKey,
    kit_public_key: ec.EllipticCurvePublicKey,
    sealed_at: datetime | None = None,
) -> bytes:
    """The back office's side: sign the reference with its key and seal it to the kit's key."""
    _check_fingers(list(reference.positions))
    _check_photo(reference.photo)
    record = encode_iso19794_2([MinutiaeView(f.finger, f.template) for f in reference.fingers])
    payload = deterministic_cbor.encode(
        {
            "format": PAYLOAD_FORMAT,
            "reference_id": reference.reference_id,
            "kit_id": reference.kit_id,
            "application_reference": reference.application_reference,
            "fingers": list(reference.positions),
            "template": record,
            "photo": reference.photo,
            "issued_at": _rfc3339(reference.issued_at),
            "expires_at": _rfc3339(reference.expires_at),
        }
    )
    signed = cose.sign1(payload, FileKeySigner(signer))
    header = deterministic_cbor.encode(
        {
            "format": HEADER_FORMAT,
            "reference_id": reference.reference_id,
            "kit_id": reference.kit_id,
            "recipient_key_id": key_id_of(kit_public_key),
            "sealed_at": _rfc3339(sealed_at or datetime.now(UTC)),
            "suite": SUITE_NAME,
        }
    )
    body = hpke.seal(signed, kit_public_key, info=header)
    sealed = MAGIC + struct.pack(">I", len(header)) + header + body
    if len(sealed) > MAX_REFERENCE_BYTES:
        raise ValueError(
            f"the sealed reference has {len(sealed)} bytes, a kit reads at most {MAX_REFERENCE_BYTES}"
        )
    return sealed


def _split(data: bytes) -> tuple[bytes, dict[str, Any], bytes]:
    if len(data) > MAX_REFERENCE_BYTES:
        raise ReferenceTooLarge(size=str(len(data)), limit=str(MAX_REFERENCE_BYTES))
    if not data.startswith(MAGIC):
        raise ReferenceMalformed("not a sealed reference download (bad magic)")
    offset = len(MAGIC)
    if len(data) < offset + 4:
        raise ReferenceMalformed("the reference download is truncated inside its frame")
    (length,) = struct.unpack_from(">I", data, offset)
    offset += 4
    if len(data) < offset + length:
        raise ReferenceMalformed("the reference download ends inside its header")
    header_bytes = data[offset : offset + length]
    try:
        header = deterministic_cbor.decode(header_bytes)
    except (ValueError, TypeError) as exc:
        raise ReferenceMalformed(f"the reference header is not readable: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != HEADER_FORMAT:
        raise ReferenceMalformed("the reference header has an unknown format")
    return header_bytes, header, data[offset + length :]


def open_reference(
    data: bytes,
    kit_key: ec.EllipticCurvePrivateKey,
    signer_public_key: ec.EllipticCurvePublicKey,
    kit_id: str,
    now: datetime | None = None,
) -> DeliveryReference:
    """The kit's side: decrypt, verify and check a reference download; typed errors for each fault."""
    header_bytes, header, body = _split(bytes(data))
    own_key = key_id_of(kit_key.public_key())
    if header.get("recipient_key_id") != own_key or header.get("kit_id") != kit_id:
        raise ReferenceNotForThisKit(
            f"the reference is sealed for kit {header.get('kit_id')!r} key "
            f"{header.get('recipient_key_id')!r}; this is kit {kit_id!r} key {own_key}"
        )
    try:
        signed = hpke.open_sealed(body, kit_key, info=header_bytes)
        message = cose.parse_sign1(signed)
        cose.verify_sign1(message, signer_public_key)
    except (PackageError, TypeError, ValueError, AttributeError) as exc:
        # A forger can seal anything to the kit's public delivery key: a COSE structure of the wrong
        # shape (an integer where the signature should be) is a forgery like a bad signature.
        raise ReferenceTampered(
            f"the reference download does not open or verify: it was edited or forged ({exc})"
        ) from None
    reference = _decode_payload(message.payload)
    if (reference.kit_id, reference.reference_id) != (header["kit_id"], header["reference_id"]):
        raise ReferenceTampered("the signed reference names another kit or id than its header")
    moment = now or datetime.now(UTC)
    if not reference.issued_at <= moment < reference.expires_at:
        raise ReferenceExpired(
            f"the reference is valid from {_rfc3339(reference.issued_at)} to "
            f"{_rfc3339(reference.expires_at)}; it is now {_rfc3339(moment)}: ask the back office "
            "for a new download"
        )
    return reference


def _decode_payload(payload: Any) -> DeliveryReference:
    """The signed map as a reference; ReferenceMalformed for anything of the wrong shape."""
    try:
        doc = deterministic_cbor.decode(payload)
        if not isinstance(doc, dict) or doc.get("format") != PAYLOAD_FORMAT:
            raise ValueError("unknown reference format")
        positions = doc["fingers"]
        if not isinstance(positions, list) or not all(type(p) is int for p in positions):
            raise ValueError("the enrolled fingers are not a list of positions")
        _check_fingers(positions)
        views = decode_iso19794_2(doc["template"])
        if [view.position for view in views] != positions:
            raise ValueError(f"the template's fingers are not the enrolled fingers {positions}")
        photo = doc.get("photo", b"")
        if not isinstance(photo, bytes):
            raise ValueError("the photo is not a byte string")
        _check_photo(photo)
        return DeliveryReference(
            reference_id=_text(doc["reference_id"]),
            kit_id=_text(doc["kit_id"]),
            application_reference=_text(doc["application_reference"]),
            fingers=tuple(EnrolledFinger(v.position, v.template) for v in views),
            issued_at=_parse_time(doc["issued_at"]),
            expires_at=_parse_time(doc["expires_at"]),
            photo=photo,
        )
    except (KeyError, TypeError, ValueError, AttributeError, MinutiaeRecordError) as exc:
        raise ReferenceMalformed(f"the signed reference is not readable: {exc}") from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a text, got {type(value).__name__}")
    return value

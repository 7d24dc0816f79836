"""The sealed reference download: format, sealing (back office) and opening (kit).

    "KITREF" 0x00 0x01 | u32 header length | header (deterministic CBOR) | HPKE enc || ciphertext

The header carries routing data only ({format, reference_id, kit_id, recipient_key_id, sealed_at,
suite}) and is bound to the ciphertext as HPKE `info` (RFC 9180 base mode, DHKEM(P-256, HKDF-SHA256)/
HKDF-SHA256/AES-256-GCM, as the package). The plaintext is a COSE_Sign1 (ES256) by the back office's
reference-signing key over a deterministic-CBOR map {format, reference_id, kit_id,
application_reference, finger, template (an ISO/IEC 19794-2:2005 record with one view), issued_at,
expires_at}. Opening checks, in order: the frame, the recipient key, decryption, the signature, that
the signed kit id and reference id are the header's, and the validity window; each failure is its own
typed error. Pure bytes and keys: nothing here reads or writes files.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from kitd.delivery.errors import (
    ReferenceExpired,
    ReferenceMalformed,
    ReferenceNotForThisKit,
    ReferenceTampered,
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
PAYLOAD_FORMAT = "kitd-reference/1"
MEDIA_TYPE = "application/vnd.kitd.delivery-reference"


@dataclass(frozen=True)
class DeliveryReference:
    """A card delivery's opened reference: the enrolled print's template, its finger and its visit."""

    reference_id: str
    kit_id: str
    application_reference: str
    # ISO finger position of the enrolled print to verify.
    finger: int
    template: Template
    issued_at: datetime
    expires_at: datetime


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise ValueError(f"a time must be an RFC 3339 string, got {text!r}")
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def new_reference_id() -> str:
    return str(uuid.uuid4())


def seal_reference(
    reference: DeliveryReference,
    signer: ec.EllipticCurvePrivateKey,
    kit_public_key: ec.EllipticCurvePublicKey,
    sealed_at: datetime | None = None,
) -> bytes:
    """The back office's side: sign the reference with its key and seal it to the kit's key."""
    record = encode_iso19794_2([MinutiaeView(reference.finger, reference.template)])
    payload = deterministic_cbor.encode(
        {
            "format": PAYLOAD_FORMAT,
            "reference_id": reference.reference_id,
            "kit_id": reference.kit_id,
            "application_reference": reference.application_reference,
            "finger": reference.finger,
            "template": record,
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
    return MAGIC + struct.pack(">I", len(header)) + header + body


def _split(data: bytes) -> tuple[bytes, dict[str, Any], bytes]:
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
    except PackageError as exc:
        raise ReferenceTampered(
            f"the reference download does not open or verify: it was edited or forged ({exc})"
        ) from None
    try:
        doc = deterministic_cbor.decode(message.payload)
        if doc.get("format") != PAYLOAD_FORMAT:
            raise ValueError(f"unknown reference format {doc.get('format')!r}")
        (view,) = decode_iso19794_2(doc["template"])
        reference = DeliveryReference(
            reference_id=str(doc["reference_id"]),
            kit_id=str(doc["kit_id"]),
            application_reference=str(doc["application_reference"]),
            finger=int(doc["finger"]),
            template=view.template,
            issued_at=_parse_time(doc["issued_at"]),
            expires_at=_parse_time(doc["expires_at"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError, MinutiaeRecordError) as exc:
        raise ReferenceMalformed(f"the signed reference is not readable: {exc}") from None
    if (reference.kit_id, reference.reference_id) != (header["kit_id"], header["reference_id"]):
        raise ReferenceTampered("the signed reference names another kit or id than its header")
    if not 1 <= reference.finger <= 10 or view.position != reference.finger:
        raise ReferenceMalformed(f"the reference names finger {reference.finger}, not 1..10")
    moment = now or datetime.now(UTC)
    if not reference.issued_at <= moment < reference.expires_at:
        raise ReferenceExpired(
            f"the reference is valid from {_rfc3339(reference.issued_at)} to "
            f"{_rfc3339(reference.expires_at)}; it is now {_rfc3339(moment)}: ask the back office "
            "for a new download"
        )
    return reference

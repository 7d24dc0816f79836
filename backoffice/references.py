"""The back office's side of a card delivery: its reference-signing key pair, and a reference download
made from the enrollment prints (one finger per hand) and photo of a package.

Runs on back-office machines (kitpkg), never on a kit: it reads the enrollment prints and photo, which a
kit only ever holds in memory during a visit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from numpy.typing import NDArray

from kitd.delivery.reference import (
    MAX_PHOTO_BYTES,
    DeliveryReference,
    EnrolledFinger,
    new_reference_id,
    seal_reference,
)
from kitd.keys.errors import KeyStoreError
from kitd.keys.file_key import write_key_pair
from kitd.matching.extraction import extract_template
from kitd.records.wsq import decode_wsq

SIGNER_PRIVATE_NAME = "reference-signer.key.pem"
SIGNER_PUBLIC_NAME = "reference-signer.pub.pem"
# The photo in a reference: fits 480 x 640 px (35 x 45 mm at about 350 dpi), enough to recognise a face.
PHOTO_BOX = (480, 640)
# An enrollment print or photo file larger than this is not one.
MAX_INPUT_BYTES = 20 * 1024 * 1024


def generate_signer(out_dir: Path) -> tuple[Path, Path]:
    """A new P-256 reference-signing key pair in `out_dir`: (private 0600, public)."""
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    private_path, public_path = out_dir / SIGNER_PRIVATE_NAME, out_dir / SIGNER_PUBLIC_NAME
    write_key_pair(key, private_path, public_path)
    return private_path, public_path


def load_signer(path: Path) -> ec.EllipticCurvePrivateKey:
    """The reference-signing private key in `path`; KeyStoreError unless it is EC P-256."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError(f"{path} does not hold an EC P-256 private key")
    return key


def read_print(path: Path) -> NDArray[np.uint8]:
    """An enrollment print: a WSQ file (as `kitpkg open` writes them) or any 8-bit grey image."""
    data = _read_bounded(path)
    if path.suffix.lower() == ".wsq":
        return decode_wsq(data)
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if pixels is None:
        raise ValueError(f"{path} is neither WSQ nor a readable image")
    return np.asarray(pixels, np.uint8)


def read_photo(path: Path) -> bytes:
    """The enrollment photo for a reference: scaled to fit PHOTO_BOX and re-encoded as a JPEG small enough
    for the download (the operator compares a face with it on a tablet, not a print).
    """
    pixels = cv2.imdecode(np.frombuffer(_read_bounded(path), np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise ValueError(f"{path} is not a readable image")
    height, width = pixels.shape[:2]
    scale = min(1.0, PHOTO_BOX[0] / width, PHOTO_BOX[1] / height)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    for quality in (90, 80, 70, 60):
        ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and len(encoded) <= MAX_PHOTO_BYTES:
            return bytes(encoded)
    raise ValueError(f"{path}: the photo does not fit {MAX_PHOTO_BYTES} bytes as a JPEG")


def _read_bounded(path: Path) -> bytes:
    """A file of at most MAX_INPUT_BYTES, refused before it is read when larger."""
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise ValueError(
            f"{path} has {size} bytes; an enrollment image has at most {MAX_INPUT_BYTES}"
        )
    return path.read_bytes()


def make_reference(
    prints: Sequence[tuple[int, NDArray[np.uint8]]],
    kit_id: str,
    application_reference: str,
    *,
    photo: bytes = b"",
    issued_at: datetime | None = None,
    valid_for: timedelta = timedelta(days=14),
) -> DeliveryReference:
    """A reference of the enrolled `prints` (finger position, pixels), one per hand, in the order the kit
    asks for them; `photo` (JPEG) serves the operator's visual check where a policy allows it.
    """
    if valid_for <= timedelta(0):
        raise ValueError("a reference's validity must be above 0")
    issued = issued_at or datetime.now(UTC).replace(microsecond=0)
    return DeliveryReference(
        reference_id=new_reference_id(),
        kit_id=kit_id,
        application_reference=application_reference,
        fingers=tuple(
            EnrolledFinger(finger, extract_template(pixels)) for finger, pixels in prints
        ),
        issued_at=issued,
        expires_at=issued + valid_for,
        photo=photo,
    )


def sealed_reference_from_prints(
    prints: Sequence[tuple[int, Path]],
    kit_id: str,
    application_reference: str,
    *,
    signer: ec.EllipticCurvePrivateKey,
    kit_delivery_key: ec.EllipticCurvePublicKey,
    photo_path: Path | None = None,
    issued_at: datetime | None = None,
    valid_for: timedelta = timedelta(days=14),
) -> tuple[DeliveryReference, bytes]:
    """A reference of the enrollment print files (finger position, path) and photo file, signed by
    `signer` and sealed to the kit's delivery key: the reference and the bytes to send down.
    """
    reference = make_reference(
        [(finger, read_print(path)) for finger, path in prints],
        kit_id,
        application_reference,
        photo=read_photo(photo_path) if photo_path is not None else b"",
        issued_at=issued_at,
        valid_for=valid_for,
    )
    return reference, seal_reference(reference, signer, kit_delivery_key)

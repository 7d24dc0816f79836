"""The back office's side of a card delivery: its reference-signing key pair, and a reference download
made from the enrollment print of a package.

Runs on back-office machines (kitpkg), never on a kit: it reads the enrollment print, which a kit only
ever holds in memory during a visit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from numpy.typing import NDArray

from kitd.delivery.reference import DeliveryReference, new_reference_id, seal_reference
from kitd.keys.errors import KeyStoreError
from kitd.keys.file_key import write_key_pair
from kitd.matching.extraction import extract_template
from kitd.records.wsq import decode_wsq

SIGNER_PRIVATE_NAME = "reference-signer.key.pem"
SIGNER_PUBLIC_NAME = "reference-signer.pub.pem"


def generate_signer(out_dir: Path) -> tuple[Path, Path]:
    """A new P-256 reference-signing key pair in `out_dir`: (private 0600, public)."""
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    private_path, public_path = out_dir / SIGNER_PRIVATE_NAME, out_dir / SIGNER_PUBLIC_NAME
    write_key_pair(key, private_path, public_path)
    return private_path, public_path


def load_signer(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError(f"{path} does not hold an EC P-256 private key")
    return key


def read_print(path: Path) -> NDArray[np.uint8]:
    """An enrollment print: a WSQ file (as `kitpkg open` writes them) or any 8-bit grey image."""
    data = path.read_bytes()
    if path.suffix.lower() == ".wsq":
        return decode_wsq(data)
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if pixels is None:
        raise ValueError(f"{path} is neither WSQ nor a readable image")
    return np.asarray(pixels, np.uint8)


def make_reference(
    pixels: NDArray[np.uint8],
    finger: int,
    kit_id: str,
    application_reference: str,
    *,
    issued_at: datetime | None = None,
    valid_for: timedelta = timedelta(days=14),
) -> DeliveryReference:
    issued = issued_at or datetime.now(UTC).replace(microsecond=0)
    return DeliveryReference(
        reference_id=new_reference_id(),
        kit_id=kit_id,
        application_reference=application_reference,
        finger=finger,
        template=extract_template(pixels),
        issued_at=issued,
        expires_at=issued + valid_for,
    )


def sealed_reference_from_print(
    print_path: Path,
    finger: int,
    kit_id: str,
    application_reference: str,
    *,
    signer: ec.EllipticCurvePrivateKey,
    kit_delivery_key: ec.EllipticCurvePublicKey,
    issued_at: datetime | None = None,
    valid_for: timedelta = timedelta(days=14),
) -> tuple[DeliveryReference, bytes]:
    reference = make_reference(
        read_print(print_path),
        finger,
        kit_id,
        application_reference,
        issued_at=issued_at,
        valid_for=valid_for,
    )
    return reference, seal_reference(reference, signer, kit_delivery_key)

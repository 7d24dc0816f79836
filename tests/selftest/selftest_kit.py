"""Builders for the self-test tests: an expired certificate, an aged outbox."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kitd.keys.file_key import FileKeySigner
from kitd.outbox.config import OutboxConfig
from kitd.outbox.outbox import Outbox
from kitd.package.contents import VisitContents
from kitd.package.sealer import PackageSealer
from kitharness.daemon import KIT_ID

DAY = dt.timedelta(days=1)


def self_signed(
    directory: Path, name: str, not_before: dt.datetime, not_after: dt.datetime
) -> tuple[Path, Path]:
    """A certificate and its key (PEM files), valid between the two moments."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / f"{name}.crt"
    key_path = directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def outbox_with_package_aged(
    state_dir: Path, days: float, retention_days: int = 10_000, *, stored_now: bool = False
) -> str:
    """Puts one sealed package, sealed `days` ago, into the kit's outbox; returns its id.

    The package was taken in `days` ago too, so that it has been on the kit that long (retention
    counts time on the kit): with the default, far-away retention it stays however old it is; with
    the kit's retention it is due for deletion at once. With `stored_now` it was taken in just now:
    only its date says it is old, as after a clock that moved.
    """
    sealed_at = dt.datetime.now(dt.UTC) - days * DAY
    signer = FileKeySigner.generate(state_dir / "aged-signer" / "key.pem")
    recipient = ec.generate_private_key(ec.SECP256R1()).public_key()
    sealer = PackageSealer(signer, recipient, clock=lambda: sealed_at)
    contents = VisitContents(
        kit_id=KIT_ID,
        document_profile="be-eid",
        policy_id="be-eid",
        policy_version="1",
        application_reference="",
        operator_id="technician",
        applicant_age=40,
        started_at=sealed_at - 0.01 * DAY,
        finished_at=sealed_at,
        card_validity_months=120,
    )
    package = sealer.seal(contents)
    stored_at = time.time() if stored_now else sealed_at.timestamp()
    outbox = Outbox(
        OutboxConfig(state_dir=state_dir / "outbox", retention_days=retention_days),
        clock=lambda: stored_at,
    )
    try:
        outbox.enqueue(package.data)
    finally:
        outbox.close()
    return package.package_id

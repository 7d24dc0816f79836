"""A real back office for the outbox and receiver tests: recipient keys, a kit key list, a demo PKI and a receiver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from backoffice.demo_pki import DemoPki, generate_demo_pki
from backoffice.receiver import PackageReceiver, ReceiverConfig
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList
from kitd.outbox.config import OutboxConfig
from kitd.package.contents import VisitContents
from kitd.package.sealer import PackageSealer
from kitharness.package_kit import PACKAGE_KIT_ID, make_kit_keys


@dataclass
class BackOffice:
    root: Path
    signer: FileKeySigner
    keys: KitKeyList
    recipient_key: ec.EllipticCurvePrivateKey
    pki: DemoPki
    sealer: PackageSealer

    def receiver(
        self, port: int = 0, cls: type[PackageReceiver] = PackageReceiver
    ) -> PackageReceiver:
        config = ReceiverConfig(
            self.root / "received",
            self.pki.ca_cert,
            self.pki.server_cert,
            self.pki.server_key,
            port=port,
        )
        return cls(config, self.recipient_key, self.keys)

    def outbox_config(self, url: str, **overrides: object) -> OutboxConfig:
        values: dict[str, object] = {
            "state_dir": self.root / "state",
            "receiver_url": url,
            "client_cert": self.pki.client_cert,
            "client_key": self.pki.client_key,
            "ca_cert": self.pki.ca_cert,
            "min_free_bytes": 0,
            "backoff_initial_s": 0.01,
            "backoff_max_s": 0.05,
        }
        values.update(overrides)
        return OutboxConfig(**values)  # type: ignore[arg-type]

    def small_package(self, reference: str = "APP-1", sealed_at: float | None = None) -> bytes:
        """A sealed visit without images: real crypto, a few kilobytes; `sealed_at` (epoch seconds)
        is the time the kit's clock read when it sealed it (now by default)."""
        now = datetime.now(UTC) if sealed_at is None else datetime.fromtimestamp(sealed_at, UTC)
        contents = VisitContents(
            kit_id=PACKAGE_KIT_ID,
            document_profile="be-kids-id",
            policy_id="be-eid-enrolment",
            policy_version="2026.1",
            application_reference=reference,
            operator_id="op-3",
            applicant_age=9,
            started_at=now,
            finished_at=now,
            card_validity_months=36,
        )
        if sealed_at is None:
            return self.sealer.seal(contents).data
        sealer = PackageSealer(self.signer, self.recipient_key.public_key(), clock=lambda: now)
        return sealer.seal(contents).data


def make_back_office(root: Path) -> BackOffice:
    kit = make_kit_keys(root)
    pki = generate_demo_pki(root / "pki")
    return BackOffice(root, kit.signer, kit.keys, kit.recipient_key, pki, kit.sealer)

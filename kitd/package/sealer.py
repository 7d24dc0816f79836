"""Turning a finished visit into sealed package bytes, in memory.

`PackageSealer.seal` builds the files, the manifest, signs the manifest with the kit key (COSE_Sign1 ES256)
and seals everything with HPKE to the back office's public key. Nothing is written anywhere: the result is
bytes for the outbox. The sealer holds only the recipient's public key, so it cannot open its own output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ec

from kitd.audit.log import rfc3339
from kitd.keys.key_id import key_id_of
from kitd.keys.signer import KitSigner
from kitd.package import deterministic_cbor, hpke
from kitd.package.contents import VisitContents
from kitd.package.cose import sign1
from kitd.package.envelope import build_frame
from kitd.package.files import (
    EncodedImages,
    audit_summary,
    eligibility_summary,
    encode_images,
    package_files,
)
from kitd.package.header import Header
from kitd.package.ids import new_package_id
from kitd.package.manifest import FileEntry, Manifest

PAYLOAD_FORMAT = "kitd-payload/1"


@dataclass(frozen=True)
class SealedPackage:
    """The sealed bytes of a package and the manifest they carry."""

    package_id: str
    data: bytes
    sha256: str
    header: Header
    manifest: Manifest

    @property
    def size(self) -> int:
        return len(self.data)


class PackageSealer:
    """Signs a visit's package with the kit key and encrypts it to the back office's key."""

    def __init__(
        self,
        signer: KitSigner,
        recipient_public_key: ec.EllipticCurvePublicKey,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._signer = signer
        self._recipient = recipient_public_key
        self._recipient_key_id = key_id_of(recipient_public_key)
        self._clock = clock

    @property
    def recipient_key_id(self) -> str:
        return self._recipient_key_id

    def seal(
        self,
        contents: VisitContents,
        images: EncodedImages | None = None,
        *,
        package_id: str | None = None,
    ) -> SealedPackage:
        """Seal a visit; pass `images` from `encode_images` when they were encoded beforehand."""
        now = self._clock()
        package_id = package_id or new_package_id(now)
        encoded = images if images is not None else encode_images(contents)
        files = package_files(contents, package_id, encoded)
        manifest = Manifest(
            package_id=package_id,
            kit_id=contents.kit_id,
            kit_key_id=self._signer.key_id,
            recipient_key_id=self._recipient_key_id,
            document_profile=contents.document_profile,
            policy_id=contents.policy_id,
            policy_version=contents.policy_version,
            application_reference=contents.application_reference,
            started_at=rfc3339(contents.started_at),
            finished_at=rfc3339(contents.finished_at),
            sealed_at=rfc3339(now),
            files=tuple(FileEntry.of(f.name, f.media_type, f.data) for f in files),
            audit=audit_summary(contents),
            eligibility=eligibility_summary(contents),
        )
        payload = deterministic_cbor.encode(
            {
                "format": PAYLOAD_FORMAT,
                "manifest": sign1(manifest.to_cbor(), self._signer),
                "files": [[f.name, f.data] for f in files],
            }
        )
        header = Header(package_id, contents.kit_id, self._recipient_key_id, manifest.sealed_at)
        header_bytes = header.to_cbor()
        data = build_frame(header_bytes, hpke.seal(payload, self._recipient, header_bytes))
        return SealedPackage(package_id, data, hashlib.sha256(data).hexdigest(), header, manifest)

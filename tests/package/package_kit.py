"""The kit and back office the package tests share: a file kit key, a recipient, a key list, an audit log."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from kitd.audit.log import AuditLog
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList
from kitd.keys.recipient import RecipientKeyPair
from kitd.package.sealer import PackageSealer


@dataclass
class Kit:
    signer: FileKeySigner
    keys: KitKeyList
    recipient: RecipientKeyPair
    recipient_key: ec.EllipticCurvePrivateKey
    sealer: PackageSealer
    audit: AuditLog

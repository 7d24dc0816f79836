"""The kit and back office the package and back-office tests share: a file kit key, a recipient, a key
list, an audit log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from kitd.audit.log import AuditLog
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList
from kitd.keys.recipient import RecipientKeyPair, load_recipient_private_key
from kitd.package.sealer import PackageSealer


@dataclass
class Kit:
    signer: FileKeySigner
    keys: KitKeyList
    recipient: RecipientKeyPair
    recipient_key: ec.EllipticCurvePrivateKey
    sealer: PackageSealer
    audit: AuditLog


def make_kit(folder: Path) -> Kit:
    """Kit "kit-0042" with its key published, and the back office it seals to, made in `folder`."""
    signer = FileKeySigner.generate(folder / "kitkey" / "kit.key.pem")
    keys = KitKeyList()
    keys.publish("kit-0042", signer.public_key)
    recipient = RecipientKeyPair.generate(folder / "backoffice")
    private = load_recipient_private_key(recipient.private_path)
    audit = AuditLog(folder / "state" / "audit.log", signer, checkpoint_every=4)
    return Kit(signer, keys, recipient, private, PackageSealer(signer, private.public_key()), audit)

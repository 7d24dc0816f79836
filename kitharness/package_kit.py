"""A kit key and the back office it seals to: a file kit key published as "kit-0042" in a key list,
a recipient key pair, the sealer between them, and (for a whole kit) an audit log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from kitd.audit.log import AuditLog
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList
from kitd.keys.recipient import RecipientKeyPair, load_recipient_private_key
from kitd.package.sealer import PackageSealer

PACKAGE_KIT_ID = "kit-0042"


@dataclass
class KitKeys:
    signer: FileKeySigner
    keys: KitKeyList
    recipient: RecipientKeyPair
    recipient_key: ec.EllipticCurvePrivateKey
    sealer: PackageSealer


@dataclass
class Kit(KitKeys):
    audit: AuditLog


def make_kit_keys(folder: Path) -> KitKeys:
    """Kit "kit-0042" with its key published, and the back office it seals to, made in `folder`;
    no audit log, so nothing else is written."""
    signer = FileKeySigner.generate(folder / "kitkey" / "kit.key.pem")
    keys = KitKeyList()
    keys.publish(PACKAGE_KIT_ID, signer.public_key)
    recipient = RecipientKeyPair.generate(folder / "backoffice")
    private = load_recipient_private_key(recipient.private_path)
    sealer = PackageSealer(signer, private.public_key())
    return KitKeys(signer, keys, recipient, private, sealer)


def make_kit(folder: Path) -> Kit:
    """Kit "kit-0042" with its key published, and the back office it seals to, made in `folder`."""
    made = make_kit_keys(folder)
    audit = AuditLog(folder / "state" / "audit.log", made.signer, checkpoint_every=4)
    return Kit(made.signer, made.keys, made.recipient, made.recipient_key, made.sealer, audit)

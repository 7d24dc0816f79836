"""Keys and visits for the package tests: a kit file key, two back-office recipients, a kit key list."""

from __future__ import annotations

from pathlib import Path

import pytest
from package_kit import Kit
from visit_factory import audit_stretch, make_visit

from kitd.audit.log import AuditLog
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList
from kitd.keys.recipient import RecipientKeyPair, load_recipient_private_key
from kitd.package.contents import VisitContents
from kitd.package.sealer import PackageSealer


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    signer = FileKeySigner.generate(tmp_path / "kitkey" / "kit.key.pem")
    keys = KitKeyList()
    keys.publish("kit-0042", signer.public_key)
    recipient = RecipientKeyPair.generate(tmp_path / "backoffice")
    private = load_recipient_private_key(recipient.private_path)
    audit = AuditLog(tmp_path / "state" / "audit.log", signer, checkpoint_every=4)
    return Kit(signer, keys, recipient, private, PackageSealer(signer, private.public_key()), audit)


@pytest.fixture
def visit(kit: Kit, tmp_path: Path) -> VisitContents:
    return make_visit(audit_stretch(tmp_path, kit.audit))

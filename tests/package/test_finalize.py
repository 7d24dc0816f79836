"""finalize_visit: the sealing step that writes a visit's package and queues it in the outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from backoffice.opener import open_package
from kitd.outbox.config import OutboxConfig
from kitd.outbox.errors import InsufficientSpace
from kitd.outbox.outbox import Outbox
from kitd.package.contents import VisitContents
from kitd.sealing import finalize_visit
from support.package_kit import Kit


def test_finalize_leaves_an_openable_package_in_the_outbox(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    outbox = Outbox(OutboxConfig(state_dir=tmp_path / "outbox", min_free_bytes=0), kit.audit)
    done = finalize_visit(visit, kit.sealer, outbox, session_id="s-1", operator_id="op-7")
    assert [p.package_id for p in outbox.packages()] == [done.package.package_id]
    assert outbox.package_of_session("s-1") == done.package.package_id
    opened = open_package(Path(done.package.path).read_bytes(), kit.recipient_key, kit.keys)
    assert opened.manifest == done.manifest
    sealed_records = [r for r in kit.audit.records_since(-1) if r.kind.value == "package_sealed"]
    assert sealed_records[-1].fields["package_id"] == done.package.package_id


def test_finalize_refuses_before_sealing_when_the_disk_is_full(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    outbox = Outbox(OutboxConfig(state_dir=tmp_path / "outbox", min_free_bytes=1 << 62))
    with pytest.raises(InsufficientSpace):
        finalize_visit(visit, kit.sealer, outbox, session_id="s-1", operator_id="op-7")
    assert outbox.packages() == []

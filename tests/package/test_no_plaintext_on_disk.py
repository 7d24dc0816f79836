"""After a visit is sealed and queued, no face, fingerprint or signature bytes exist anywhere on disk."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from kitd.outbox.config import OutboxConfig
from kitd.outbox.outbox import Outbox
from kitd.package.contents import VisitContents
from kitd.package.files import encode_images
from kitd.records.wsq import encode_wsq
from support.package_kit import Kit


def needles(visit: VisitContents) -> dict[str, bytes]:
    assert visit.face is not None and visit.signature is not None
    found = {"face jpeg": visit.face.jpeg[2000:2064], "signature png": visit.signature.png[60:124]}
    for finger in visit.fingers:
        wsq = encode_wsq(finger.pixels)
        found[f"wsq {finger.position}"] = wsq[len(wsq) // 2 : len(wsq) // 2 + 64]
        found[f"raw finger {finger.position}"] = finger.pixels[200, 100:164].tobytes()
    found["signature series"] = visit.signature.iso_19794_7
    return found


def test_sealing_and_queueing_leave_no_plaintext_biometric_on_disk(
    kit: Kit, visit: VisitContents, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    state = tmp_path / "state"
    outbox = Outbox(OutboxConfig(state_dir=state, min_free_bytes=0), kit.audit)

    images = encode_images(visit)
    outbox.enqueue(kit.sealer.seal(visit, images).data)
    outbox.close()

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".kitpkg" for p in files)
    for path in files:
        content = path.read_bytes()
        for name, needle in needles(visit).items():
            assert needle not in content, f"{name} found in {path}"

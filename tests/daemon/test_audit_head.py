"""The running daemon signs a checkpoint at every visit end, so the log's length is vouched for at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kit.v1 import capture_service_pb2 as cpb
from kitd.audit.head import read_head
from kitd.audit.record import AuditKind, encode_records
from kitd.audit.verify import decode_records
from support.daemon import RunningDaemon, write_config


def audit_verify(state: Path) -> subprocess.CompletedProcess[str]:
    log, keys = str(state / "audit.log"), str(state / "kit-keys.json")
    return subprocess.run(
        [sys.executable, "-m", "backoffice.cli", "audit-verify", log, "--kit-keys", keys],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_cancelled_visit_is_checkpointed_and_a_cut_after_it_is_detected(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with RunningDaemon(write_config(tmp_path, extra="[outbox]\nmin_free_mb = 0\n")) as daemon:
        client = daemon.client
        session = client.capture.CreateSession(
            cpb.CreateSessionRequest(
                document_profile="be-kids-id", applicant_age=8, operator_id="op-1"
            ),
            metadata=client.metadata,
            timeout=10,
        ).session
        client.capture.CancelSession(
            cpb.CancelSessionRequest(session_id=session.session_id, reason="citizen asleep"),
            metadata=client.metadata,
            timeout=10,
        )
        # While the daemon still runs: the visit's end is already signed, not only at shutdown.
        records, _ = decode_records((state / "audit.log").read_bytes())
        assert records[-1].kind is AuditKind.CHECKPOINT
        assert records[-2].kind is AuditKind.VISIT_FINISHED
        head = read_head(state / "audit.head")
        assert head is not None and (head.seq, head.hash) == (records[-1].seq, records[-1].hash)
    verified = audit_verify(state)
    assert verified.returncode == 0, verified.stderr
    records, _ = decode_records((state / "audit.log").read_bytes())
    (state / "audit.log").write_bytes(encode_records(tuple(records[:-2])))
    cut = audit_verify(state)
    assert cut.returncode == 1
    assert "AuditTruncated" in cut.stderr

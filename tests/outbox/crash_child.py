"""A process for the crash tests to kill: `writer STATE KEY` enqueues packages forever, printing
"COMMITTED <id> <sha256>" once each enqueue has returned; `uploader STATE URL PKI` uploads until the outbox
is empty, then prints "DONE".
"""

from __future__ import annotations

import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from kitd.audit.log import AuditLog
from kitd.keys.file_key import FileKeySigner
from kitd.outbox.config import OutboxConfig
from kitd.outbox.outbox import Outbox
from kitd.package.envelope import build_frame
from kitd.package.header import Header


def frame() -> bytes:
    # Random bytes in a real frame: the outbox never looks past the header.
    package_id = str(uuid.UUID(int=(uuid.uuid4().int & ~(0xF << 76)) | (0x7 << 76)))
    header = Header(package_id, "kit-crash", "recipient-x", datetime.now(UTC).isoformat())
    return build_frame(header.to_cbor(), os.urandom(int.from_bytes(os.urandom(2), "big") + 100))


def writer(state: Path, key: Path) -> None:
    audit = AuditLog(state / "audit.log", FileKeySigner.load(key), checkpoint_every=3)
    outbox = Outbox(OutboxConfig(state_dir=state, min_free_bytes=0), audit)
    while True:
        entry = outbox.enqueue(frame())
        print(f"COMMITTED {entry.package_id} {entry.sha256}", flush=True)


def uploader(state: Path, url: str, pki: Path) -> None:
    config = OutboxConfig(
        state_dir=state,
        receiver_url=url,
        client_cert=pki / "client.pem",
        client_key=pki / "client.key",
        ca_cert=pki / "ca.pem",
        min_free_bytes=0,
    )
    outbox = Outbox(config)
    while outbox.packages():
        outbox.flush()
    print("DONE", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "writer":
        writer(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        uploader(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))

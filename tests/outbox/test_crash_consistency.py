"""SIGKILL the outbox writer and the uploader at random points, many times, and check what survives.

Writer: every enqueue that returned is on disk intact after the kill; nothing half-written is ever listed;
the audit log still verifies. Uploader: every package ends up at the receiver exactly under its own id with
its own bytes, and none is deleted from the kit before the receiver acknowledged it. Rounds per test come
from KITD_CRASH_ROUNDS (the soak run raises it).
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

from kitd.audit.log import AuditLog
from kitd.audit.verify import verify_log_bytes
from kitd.keys.file_key import FileKeySigner
from kitd.outbox.config import OutboxConfig
from kitd.outbox.contract import Receipt
from kitd.outbox.outbox import Outbox
from kitd.outbox.state import PackageState
from support.back_office import BackOffice

CHILD = Path(__file__).with_name("crash_child.py")
WRITER_ROUNDS = int(os.environ.get("KITD_CRASH_ROUNDS", "30"))
UPLOADER_ROUNDS = int(os.environ.get("KITD_CRASH_ROUNDS", "20"))
REPO = Path(__file__).resolve().parents[2]


def spawn(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args], stdout=subprocess.PIPE, text=True, env=env
    )


def test_killed_writer_never_loses_or_corrupts_a_committed_package(back_office: BackOffice) -> None:
    rng = random.Random(7)
    state = back_office.root / "state"
    key = back_office.root / "kitkey" / "kit.key.pem"
    committed: dict[str, str] = {}
    for _ in range(WRITER_ROUNDS):
        child = spawn("writer", str(state), str(key))
        assert child.stdout is not None
        for _line in range(rng.randint(1, 5)):
            line = child.stdout.readline()
            assert line.startswith("COMMITTED"), line
            _, package_id, sha256 = line.split()
            committed[package_id] = sha256
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()

        audit = AuditLog(state / "audit.log", FileKeySigner.load(key))
        outbox = Outbox(OutboxConfig(state_dir=state, min_free_bytes=0), audit)
        listed = {p.package_id: p for p in outbox.packages()}
        for package_id, sha256 in committed.items():
            assert listed[package_id].sha256 == sha256
        for info in listed.values():
            assert hashlib.sha256(Path(info.path).read_bytes()).hexdigest() == info.sha256
        assert list(outbox.tmp_dir.iterdir()) == []
        outbox.close()
        audit.close()
        verify_log_bytes((state / "audit.log").read_bytes(), back_office.keys)
    assert len(committed) >= WRITER_ROUNDS


def test_killed_uploader_delivers_everything_once_under_its_own_id(back_office: BackOffice) -> None:
    rng = random.Random(11)
    receiver = back_office.receiver()
    receiver.start()
    config = back_office.outbox_config(receiver.url)
    sent: dict[str, str] = {}
    try:
        for _ in range(UPLOADER_ROUNDS):
            outbox = Outbox(config)
            for _new in range(3):
                entry = outbox.enqueue(back_office.small_package())
                sent[entry.package_id] = entry.sha256
            outbox.close()

            child = spawn(
                "uploader", str(config.state_dir), receiver.url, str(back_office.pki.ca_cert.parent)
            )
            exited = threading.Event()

            def watch(
                process: subprocess.Popen[str] = child, done: threading.Event = exited
            ) -> None:
                process.wait()
                done.set()
                receiver.wake()

            threading.Thread(target=watch, daemon=True).start()
            target = receiver.requests + rng.randint(1, 3)
            assert receiver.wait_for(
                lambda t=target, e=exited: receiver.requests >= t or e.is_set(), 60
            )
            child.send_signal(signal.SIGKILL)
            child.wait()
            assert child.stdout is not None
            child.stdout.close()

            outbox = Outbox(config)
            for info in outbox.packages((PackageState.DELETED,)):
                # Deleted on the kit only after the receiver had it.
                assert (back_office.root / "received" / info.package_id / "receipt.json").exists()
            outbox.close()

        final = spawn(
            "uploader", str(config.state_dir), receiver.url, str(back_office.pki.ca_cert.parent)
        )
        assert final.communicate(timeout=120)[0].strip() == "DONE"
    finally:
        receiver.stop()

    outbox = Outbox(config)
    assert outbox.packages() == []
    assert {p.package_id for p in outbox.packages((PackageState.DELETED,))} == set(sent)
    received = back_office.root / "received"
    assert {p.name for p in received.iterdir()} == set(sent)
    for package_id, sha256 in sent.items():
        stored = (received / package_id / "package.kitpkg").read_bytes()
        assert hashlib.sha256(stored).hexdigest() == sha256
        receipt = Receipt.from_json((received / package_id / "receipt.json").read_bytes())
        assert (receipt.package_id, receipt.sha256) == (package_id, sha256)

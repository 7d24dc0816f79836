"""`kitpkg receiver` as a real process: the demo set-up of docs/backoffice.md, end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from kitd.outbox.outbox import Outbox
from kitd.outbox.state import PackageState
from kitharness.ports import free_port
from support.back_office import BackOffice

REPO = Path(__file__).resolve().parents[2]


def test_kitpkg_receiver_generates_its_pki_and_accepts_uploads(back_office: BackOffice) -> None:
    port = free_port()
    back_office.keys.save(back_office.root / "kit-keys.json")
    pki = back_office.root / "cli-pki"
    out = back_office.root / "cli-received"
    process = subprocess.Popen(
        [sys.executable, "-m", "backoffice.cli", "receiver",
         "--key", str(back_office.root / "backoffice" / "recipient.key.pem"),
         "--kit-keys", str(back_office.root / "kit-keys.json"), "--out", str(out),
         "--pki", str(pki), "--generate-pki", "--port", str(port)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert "demo PKI" in lines[0]
        assert f"https://127.0.0.1:{port}" in lines[1]
        config = back_office.outbox_config(
            f"https://127.0.0.1:{port}",
            ca_cert=pki / "ca.pem",
            client_cert=pki / "client.pem",
            client_key=pki / "client.key",
        )
        outbox = Outbox(config)
        entry = outbox.enqueue(back_office.small_package())
        assert outbox.flush().uploaded == 1
        assert outbox.get(entry.package_id).state is PackageState.DELETED
        assert (out / entry.package_id / "receipt.json").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        if process.stdout is not None:
            process.stdout.close()

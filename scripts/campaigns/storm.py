"""The kill storm's kit: one camera, a daemon that is SIGKILLed and started again, and an outbox that
uploads to a `kitpkg receiver` on a fixed port (killed and restarted too)."""

from __future__ import annotations

import time
from pathlib import Path

from backoffice.demo_pki import generate_demo_pki
from kitd.keys.key_list import KitKeyList
from kitd.keys.recipient import load_recipient_private_key
from kitharness.daemon import RunningDaemon
from kitharness.kit import KitUnderTest
from kitharness.ports import free_port
from kitharness.receiver import ReceiverProcess


class StormKit:
    """One kit whose daemon is killed and restarted, with an outbox uploading to a receiver."""

    def __init__(self, root: Path) -> None:
        self.root = root
        pki = generate_demo_pki(root / "backoffice" / "pki")
        self.port = free_port()
        outbox = (
            "\n[outbox]\n"
            f'receiver_url = "https://127.0.0.1:{self.port}"\n'
            f'client_cert = "{pki.client_cert}"\nclient_key = "{pki.client_key}"\n'
            f'ca_cert = "{pki.ca_cert}"\nbackoff_initial_s = 0.2\nbackoff_max_s = 1.0\n'
            "min_free_mb = 0\n"
        )
        self.kit = KitUnderTest(root, devices=("camera",), extra_config=outbox)
        self.kit.start()
        self.state = root / "kitd" / "state"
        self.config = root / "kitd" / "kitd.toml"
        self.receiver = ReceiverProcess(
            root / "backoffice",
            self.kit.recipient.private_path,
            self.state / "kit-keys.json",
            self.port,
        )
        self.receiver.start()
        self.recipient_key = load_recipient_private_key(self.kit.recipient.private_path)
        self.kit_keys = KitKeyList.load(self.state / "kit-keys.json")

    @property
    def daemon(self) -> RunningDaemon:
        assert self.kit.daemon is not None
        return self.kit.daemon

    def kill_daemon(self) -> None:
        self.kit.kill_daemon()

    def start_daemon(self) -> None:
        self.kit.start_daemon()

    def start_and_kill_early(self, delay: float) -> None:
        """Starts the daemon and SIGKILLs it `delay` seconds later, during or just after its
        start-up."""
        self.kit.daemon = RunningDaemon(self.config)
        self.kit.daemon.launch()
        time.sleep(delay)
        self.kit.watch = None
        self.kit.kill_daemon()

    def stop(self) -> None:
        self.receiver.stop()
        self.kit.stop()

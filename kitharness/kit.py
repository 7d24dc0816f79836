"""A whole kit from its real parts: the simulators and the real daemon as separate processes.

`KitUnderTest` starts `kitsim` devices, writes a daemon configuration with their sources (plus a file kit
key created at first start and a back-office recipient key made for the test), starts `kitd serve`, and
offers the API client, the simulators' control API and event-driven waits on device states.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import grpc
import numpy as np

from backoffice.references import generate_signer, load_signer, make_reference
from kit.v1 import device_service_pb2 as dpb
from kit.v1 import types_pb2
from kitd.client import KitClient
from kitd.delivery.kit_key import load_public_key
from kitd.delivery.reference import seal_reference
from kitd.keys.recipient import RecipientKeyPair
from kitharness.daemon import KIT_ID, RunningDaemon, write_config
from kitsim.harness import SimulatorSet
from kitsim.prints.impression import Placement, render
from kitsim.prints.master import master_print

# An enrollment photo for reference downloads: any small JPEG does, the kit only hands it to the operator.
ENROLLMENT_PHOTO = bytes(cv2.imencode(".jpg", np.full((64, 48, 3), 200, np.uint8))[1])

ALL_DEVICES = ("camera", "fingerprint", "signature_pad")
STATES = {
    "absent": types_pb2.DEVICE_STATE_ABSENT,
    "ready": types_pb2.DEVICE_STATE_READY,
    "busy": types_pb2.DEVICE_STATE_BUSY,
    "fault": types_pb2.DEVICE_STATE_FAULT,
}


class DeviceWatch:
    """Follows WatchDeviceEvents in a thread; `wait(device, state, timeout)` returns when it is seen."""

    def __init__(self, client: KitClient) -> None:
        self._cond = threading.Condition()
        self.states: dict[str, int] = {}
        self.history: list[tuple[str, int]] = []
        self.events: list[types_pb2.DeviceEvent] = []
        self._stream = client.devices.WatchDeviceEvents(
            dpb.WatchDeviceEventsRequest(include_current=True), metadata=client.metadata
        )
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with contextlib.suppress(grpc.RpcError):
            for response in self._stream:
                device = response.event.device
                with self._cond:
                    self.states[device.id] = device.state
                    self.history.append((device.id, device.state))
                    self.events.append(response.event)
                    self._cond.notify_all()

    def wait(self, device: str, state: str, timeout: float) -> bool:
        wanted = STATES[state]
        with self._cond:
            return self._cond.wait_for(lambda: self.states.get(device) == wanted, timeout)

    def close(self) -> None:
        self._stream.cancel()
        self._thread.join(2)


class KitUnderTest:
    def __init__(
        self,
        root: Path,
        devices: tuple[str, ...] = ALL_DEVICES,
        sim_options: dict[str, dict[str, Any]] | None = None,
        extra_config: str = "",
        api: dict[str, int] | None = None,
    ) -> None:
        self.root = root
        self.api = api
        self.sims = SimulatorSet(root / "sims", list(devices), sim_options)
        self.recipient = RecipientKeyPair.generate(root / "backoffice")
        self.reference_signer, reference_signer_public = generate_signer(root / "backoffice")
        self._reference_signer_public = reference_signer_public
        self.devices = devices
        self.extra_config = extra_config
        self.daemon: RunningDaemon | None = None
        self.watch: DeviceWatch | None = None

    def start(self, ready_timeout: float = 30.0) -> KitUnderTest:
        """Simulators, then the daemon; a start that fails part-way stops what it started (a context
        manager whose __enter__ raises never runs its __exit__)."""
        try:
            return self._start(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, ready_timeout: float) -> KitUnderTest:
        sources = self.sims.start()
        self.sims.serve_control()  # what `kitctl enroll --auto` plays the citizen through
        keys = (
            f'\n[keys]\nrecipient_public_key = "{self.recipient.public_path}"\n'
            f'reference_signer_public_key = "{self._reference_signer_public}"\n'
        )
        config = write_config(self.root / "kitd", sources, keys + self.extra_config, self.api)
        self.daemon = RunningDaemon(config).start()
        self._watch_devices(ready_timeout)
        return self

    def _watch_devices(self, ready_timeout: float) -> None:
        assert self.daemon is not None
        self.watch = DeviceWatch(self.daemon.client)
        for name in self.devices:
            if not self.watch.wait(name, "ready", ready_timeout):
                raise RuntimeError(f"{name} did not become ready:\n{self.daemon.log()[-3000:]}")

    def stop_daemon(self) -> None:
        """Stops the daemon (SIGTERM) and the device watch; the simulators keep running."""
        if self.watch is not None:
            self.watch.close()
        if self.daemon is not None:
            self.daemon.stop()

    def kill_daemon(self) -> None:
        """SIGKILL, as a power cut ends it; then what `stop_daemon` does."""
        if self.daemon is not None and self.daemon.process is not None:
            self.daemon.process.kill()
            self.daemon.process.wait()
        self.stop_daemon()

    def start_daemon(self, ready_timeout: float = 30.0) -> None:
        """The daemon again on the same configuration and state, once every device is ready."""
        assert self.daemon is not None
        self.daemon = RunningDaemon(self.daemon.config).start()
        self._watch_devices(ready_timeout)

    @property
    def client(self) -> KitClient:
        assert self.daemon is not None
        return self.daemon.client

    @property
    def delivery_key_path(self) -> Path:
        """The kit's published delivery key, which reference downloads are sealed to."""
        return self.root / "kitd" / "state" / "kit-delivery-key.pub.pem"

    def delivery_reference(
        self,
        identity: str,
        *fingers: int,
        issued_at: datetime | None = None,
        valid_for: timedelta = timedelta(days=14),
        photo: bytes = ENROLLMENT_PHOTO,
    ) -> bytes:
        """What the back office would send down for the card of `identity`: the templates of an
        enrollment impression of each simulated finger (one per hand, in order) and the enrollment
        photo, signed and sealed to this kit."""
        prints = [
            (finger, render(master_print(identity, finger), Placement(quality=0.85, seed=4242)))
            for finger in fingers
        ]
        reference = make_reference(
            prints,
            KIT_ID,
            "APP-2026-0042",
            photo=photo,
            issued_at=issued_at,
            valid_for=valid_for,
        )
        return seal_reference(
            reference,
            load_signer(self.reference_signer),
            load_public_key(self.delivery_key_path),
        )

    def ctl(self, device: str, command: str, /, **args: Any) -> Any:
        return self.sims.control(device, command, **args)

    def kitctl_enroll_auto(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`kitctl enroll --auto` of a be-eid visit of a 42-year-old, the simulators playing the
        citizen; ARGS are added."""
        return self.kitctl(
            "enroll", "--profile", "be-eid", "--age", "42", "--auto",
            "--sim-dir", str(self.sims.workdir), *args,
        )  # fmt: skip

    def kitctl(self, *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
        """`kitctl --config <this kit's config> ARGS...` in a child process, output captured."""
        assert self.daemon is not None
        command = [sys.executable, "-m", "kitd.cli.kitctl", "--config", str(self.daemon.config)]
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, timeout=timeout, check=False
        )

    def stop(self) -> None:
        self.stop_daemon()
        self.sims.stop()

    def __enter__(self) -> KitUnderTest:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

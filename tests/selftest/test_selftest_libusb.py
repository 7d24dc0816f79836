"""The self-test's reader checks on the production transport: `kit-selftest --direct --device fingerprint`
on the simulator while it records the session, then on `kfp1+usb://…` with umockdev-run replaying the
recording to pyusb's libusb1 backend. The technician's hands are in the recording; every check must come
out the same (docs/protocols/usb-sim.md §5)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kitsim.harness import SimulatorSet
from support.daemon import write_config
from support.umockdev import Recording, failure, run, umockdev_command

SELFTEST = str(Path(sys.executable).with_name("kit-selftest"))
USB_SOURCE = "kfp1+usb://1d6b:0104?serial=KFP1-0001"


def _verdicts(stdout: str) -> dict[str, str]:
    document: dict[str, Any] = json.loads(stdout)
    return {check["id"]: check["verdict"] for check in document["checks"]}


def test_the_reader_checks_come_out_the_same_on_libusb_replaying_the_simulator(
    tmp_path: Path,
) -> None:
    recording = Recording(tmp_path / "usb")
    options = {"fingerprint": {"record": str(recording.folder)}}
    with SimulatorSet(tmp_path / "sim", ["fingerprint"], options) as sims:
        sims.serve_control()
        source = sims.sources["fingerprint"] + "?serial=KFP1-0001"
        config = write_config(tmp_path / "sim-kit", {"fingerprint": source})
        recorded = run(
            [SELFTEST, "--json", "--config", str(config), "--direct", "--device", "fingerprint",
             "--sim-dir", str(sims.workdir)]
        )  # fmt: skip
    assert recorded.returncode == 0, failure(recorded)
    on_simulator = _verdicts(recorded.stdout)
    assert set(on_simulator.values()) == {"pass"}, on_simulator

    config = write_config(tmp_path / "usb-kit", {"fingerprint": USB_SOURCE})
    replayed = run(
        umockdev_command(
            SELFTEST, "--json", "--config", str(config), "--direct", "--device", "fingerprint",
            description=recording.description, pcap=recording.pcap,
        )
    )  # fmt: skip
    assert replayed.returncode == 0, failure(replayed)
    assert _verdicts(replayed.stdout) == on_simulator

"""The FingerprintScanner contract again, on the production transport: pyusb's libusb1 backend on a
`/dev/bus/usb` node, under umockdev-run.

Each contract test runs twice, each time in its own process: on the simulator while the simulator
records the session (a usbmon capture and the reader's umockdev description, made here, never kept in
the repository), then on `kfp1+usb://1d6b:0104?serial=…` with umockdev replaying that capture. Both runs
must pass and must have seen the same identity and the same pixels. A change in the driver's wire
behaviour fails the first run as the simulator run does; a fault on the libusb side (descriptors from
sysfs, string lookups, usbfs transfers, stalls, errno mapping) fails the second.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from support.umockdev import Recording, failure, pytest_argv, run, umockdev_command

CONTRACT = Path(__file__).with_name("test_fingerprint_scanner.py")


def _contract_tests() -> list[str]:
    tree = ast.parse(CONTRACT.read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]


@pytest.mark.slow
@pytest.mark.parametrize("contract_test", _contract_tests())
def test_the_contract_holds_on_libusb_replaying_the_simulator(
    contract_test: str, tmp_path: Path
) -> None:
    recording = Recording(tmp_path / "usb")
    node = f"{CONTRACT.relative_to(CONTRACT.parents[2])}::{contract_test}"

    recorded = run(pytest_argv(f"{node}[sim]"), env={"KITD_USB_RECORD": str(recording.folder)})
    assert recorded.returncode == 0, "on the simulator, recording:\n" + failure(recorded)
    assert recording.pcap.stat().st_size > 24, "the simulator recorded no transfer"

    replayed = run(
        umockdev_command(
            *pytest_argv(f"{node}[replay]"), description=recording.description, pcap=recording.pcap
        ),
        env={"KITD_USB_REPLAY": str(recording.folder)},
    )
    assert replayed.returncode == 0, "on libusb under umockdev replay:\n" + failure(replayed)
    assert "1 passed" in replayed.stdout, replayed.stdout
    assert recording.notes("replay") == recording.notes("sim")

"""The libusb path when the reader's node cannot be used: umockdev testbeds built from the simulated
reader's description, in which the sysfs device is there but its /dev/bus/usb node is missing or closed
to kitd. Replay cannot show these (docs/protocols/usb-sim.md §5); each gets its typed error here.

A reader held by another program (EBUSY on claim) needs a real usbfs: umockdev's replayer grants every
claim. It is covered over the simulator transport (tests/hal/fingerprint/test_kfp1_faults.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from kitsim.fingerprint.firmware import ReaderIdentity
from kitsim.usb.function import SPEED_HIGH
from kitsim.usb.umockdev import device_description, device_node
from support.umockdev import failure, run, umockdev_command

# A bus and address no machine running the suite has, because umockdev falls through to the real /dev
# for a node the testbed lacks.
BUS, ADDRESS = 99, 127
SOURCE = "kfp1+usb://1d6b:0104"

OPEN_READER = """
import json, sys
from hal.errors import DeviceError
from hal.registry import resolve
reader = resolve(sys.argv[1], name="fingerprint")
try:
    info = reader.open()
except DeviceError as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error)}))
else:
    print(json.dumps({"opened": info.serial}))
    reader.close()
"""


def _description(tmp_path: Path, *, node: bool) -> Path:
    text = device_description(ReaderIdentity().spec(), speed=SPEED_HIGH, bus=BUS, address=ADDRESS)
    if not node:
        text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("N:"))
    path = tmp_path / "kfp1.umockdev"
    path.write_text(text)
    return path


def _open_in_testbed(description: Path, source: str, *, before: str = "") -> dict[str, str]:
    """Opens the reader in the testbed; `before` is a shell command run there first."""
    opener = [sys.executable, "-c", OPEN_READER, source]
    if os.geteuid() == 0:
        # Root reads any file: without these capabilities it meets the node's mode bits like kitd.
        opener = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *opener]
    script = f'{before}\nexec "$@"'
    result = run(umockdev_command("sh", "-c", script, "sh", *opener, description=description))
    assert result.returncode == 0, failure(result)
    outcome: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return outcome


def test_lsusb_sees_the_described_reader(tmp_path: Path) -> None:
    result = run(umockdev_command("lsusb", description=_description(tmp_path, node=True)))
    assert result.returncode == 0, failure(result)
    assert (
        f"Bus {BUS:03d} Device {ADDRESS:03d}: ID 1d6b:0104 Kitd Reference "
        "KFP1 Optical Fingerprint Reader"
    ) in result.stdout


def test_a_missing_node_raises_device_gone(tmp_path: Path) -> None:
    assert not Path(device_node(BUS, ADDRESS)).exists()
    outcome = _open_in_testbed(_description(tmp_path, node=False), SOURCE)
    assert outcome["error"] == "DeviceGone", outcome
    assert "gone" in outcome["message"]


def test_a_missing_node_fails_the_serial_lookup_with_device_gone(tmp_path: Path) -> None:
    outcome = _open_in_testbed(_description(tmp_path, node=False), SOURCE + "?serial=KFP1-0001")
    assert outcome["error"] == "DeviceGone", outcome
    assert "could not read its serial" in outcome["message"]


def test_a_node_kitd_may_not_open_raises_device_fault_naming_the_udev_rule(tmp_path: Path) -> None:
    node = device_node(BUS, ADDRESS).removeprefix("/")
    outcome = _open_in_testbed(
        _description(tmp_path, node=True), SOURCE, before=f'chmod 000 "$UMOCKDEV_DIR/{node}"'
    )
    assert outcome["error"] == "DeviceFault", outcome
    assert "access to the reader was denied" in outcome["message"]
    assert "udev rule" in outcome["message"]


def test_the_same_node_opened_for_kitd_gets_past_the_open(tmp_path: Path) -> None:
    # The control for the test above: with the node open to kitd, libusb_open succeeds and the driver
    # fails only at its first command, which nothing in this testbed answers.
    node = device_node(BUS, ADDRESS).removeprefix("/")
    outcome = _open_in_testbed(
        _description(tmp_path, node=True), SOURCE, before=f'chmod 600 "$UMOCKDEV_DIR/{node}"'
    )
    assert outcome["error"] == "DeviceGone", outcome
    assert "sending ABORT" in outcome["message"]

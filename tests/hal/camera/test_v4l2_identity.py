"""The board camera's identity (hal.camera.identity.v4l2_identity) in umockdev testbeds: VIDIOC_QUERYCAP on
/dev/video0 answered by umockdev's ioctl handler, the USB device found through sysfs above the node.

Streaming stays untested in CI: this kernel has no media support and umockdev cannot map V4L2 buffers
(docs/protocols/usb-sim.md §6). The system Python with umockdev's GObject bindings runs the testbed
(tests/support/v4l2_testbed.py); set-up installs them, and without them these tests fail.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

SYSTEM_PYTHON = Path("/usr/bin/python3")
TESTBED = Path(__file__).resolve().parents[2] / "support" / "v4l2_testbed.py"
USB_DEVICE = "/devices/pci0000:00/0000:00:14.0/usb1/1-2"
# struct v4l2_capability: driver, card, bus_info, version, capabilities, device_caps, reserved.
CAPABILITY = struct.pack(
    "16s32s32sIII12x",
    b"uvcvideo",
    b"Kit Camera: Kit Camera",
    b"usb-0000:00:14.0-2",
    0x0006_0000,
    0x84A0_0001,
    0x0420_0001,
)
IDENTITY = """
import dataclasses, json, sys
from pathlib import Path
from hal.camera.identity import v4l2_identity
print(json.dumps(dataclasses.asdict(v4l2_identity(Path(sys.argv[1]), "camera"))))
"""


def _description(tmp_path: Path, *, on_usb: bool = True) -> Path:
    """A UVC camera as umockdev-record writes one: the USB device, its video interface, video0."""
    usb = [
        f"P: {USB_DEVICE}",
        "N: bus/usb/001/005",
        "E: SUBSYSTEM=usb",
        "E: DEVTYPE=usb_device",
        r"A: idVendor=1d6b\n",
        r"A: idProduct=0c45\n",
        r"A: manufacturer=Kitd Reference\n",
        r"A: product=Kit Camera\n",
        r"A: serial=CAM-0042\n",
        r"A: bcdDevice=0107\n",
        "",
        f"P: {USB_DEVICE}/1-2:1.0",
        "E: SUBSYSTEM=usb",
        "E: DEVTYPE=usb_interface",
        "E: DRIVER=uvcvideo",
        "",
    ]
    parent = f"{USB_DEVICE}/1-2:1.0" if on_usb else "/devices/platform/camera"
    video = [
        f"P: {parent}/video4linux/video0",
        "N: video0",
        "E: SUBSYSTEM=video4linux",
        "E: DEVNAME=/dev/video0",
        r"A: name=Kit Camera\n",
    ]
    if on_usb:
        video.append("L: device=../../../1-2:1.0")  # what the kernel links: the UVC interface
    path = tmp_path / "camera.umockdev"
    path.write_text("\n".join((usb if on_usb else []) + video) + "\n")
    return path


def _identity(description: Path, *answer: str) -> dict[str, object]:
    if (
        not SYSTEM_PYTHON.exists()
        or subprocess.run(
            [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('UMockdev', '1.0')"],
            capture_output=True,
            check=False,
        ).returncode
    ):
        pytest.fail(
            "umockdev's Python bindings are not installed (python3-gi, gir1.2-umockdev-1.0); "
            "run ./scripts/setup"
        )
    command = [SYSTEM_PYTHON, TESTBED, *answer, description, "--"]
    command += [sys.executable, "-c", IDENTITY, "/dev/video0"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    identity: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return identity


def test_card_bus_and_driver_come_from_querycap_the_rest_from_the_usb_device(
    tmp_path: Path,
) -> None:
    identity = _identity(_description(tmp_path), "--querycap", CAPABILITY.hex())
    assert identity == {
        "vendor": "Kitd Reference",
        "model": "Kit Camera",
        "serial": "CAM-0042",
        "firmware": "0107",
        "details": {
            "card": "Kit Camera: Kit Camera",
            "bus": "usb-0000:00:14.0-2",
            "kernel_driver": "uvcvideo",
            "usb_id": "1d6b:0c45",
        },
    }


def test_a_node_refusing_querycap_is_still_named_by_its_usb_device(tmp_path: Path) -> None:
    identity = _identity(_description(tmp_path), "--no-querycap")
    assert (identity["vendor"], identity["model"], identity["serial"]) == (
        "Kitd Reference",
        "Kit Camera",
        "CAM-0042",
    )
    assert identity["details"] == {
        "card": "",
        "bus": "",
        "kernel_driver": "",
        "usb_id": "1d6b:0c45",
    }


def test_a_camera_not_on_usb_is_named_by_its_card(tmp_path: Path) -> None:
    identity = _identity(_description(tmp_path, on_usb=False), "--querycap", CAPABILITY.hex())
    assert (identity["vendor"], identity["model"], identity["serial"]) == (
        "",
        "Kit Camera: Kit Camera",
        "",
    )
    assert "usb_id" not in identity["details"]  # type: ignore[operator]

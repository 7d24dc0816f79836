"""Who a camera is: a V4L2 node's capabilities and its USB device's attributes (the board), or an MJPEG
stream's identity from its server (the simulator). Read once when the camera binds; nothing here
touches frames.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import struct
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from hal.device import DeviceInfo
from hal.errors import DeviceGone

log = logging.getLogger(__name__)

# VIDIOC_QUERYCAP = _IOR('V', 0, struct v4l2_capability); the struct is 104 bytes.
VIDIOC_QUERYCAP = 0x80685600
_V4L2_CAPABILITY = struct.Struct("16s32s32sIII12x")


def http_stream_identity(url: str, name: str) -> DeviceInfo:
    """The stream's identity from its server's /info (the simulator has one), else its address."""
    parts = urllib.parse.urlsplit(url)
    info_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/info", "", ""))
    try:
        with urllib.request.urlopen(info_url, timeout=1.0) as response:
            record: dict[str, Any] = json.loads(response.read().decode())
    except urllib.error.HTTPError:
        # A plain MJPEG server (IP camera) without an identity endpoint: name it by its address.
        return DeviceInfo(vendor="", model="MJPEG stream", serial=parts.netloc, firmware="")
    except (OSError, ValueError) as exc:
        raise DeviceGone(
            f"camera at {parts.netloc} does not answer ({exc}): is it plugged in / running?",
            device=name,
        ) from exc
    details = {
        key: str(value)
        for key, value in record.items()
        if key not in ("vendor", "model", "serial", "firmware")
    }
    details["transport"] = "http-mjpeg"
    return DeviceInfo(
        vendor=str(record.get("vendor", "")),
        model=str(record.get("model", "")),
        serial=str(record.get("serial", "")),
        firmware=str(record.get("firmware", "")),
        details=details,
    )


def v4l2_identity(node: Path, name: str) -> DeviceInfo:
    """Card name and bus from VIDIOC_QUERYCAP; vendor, serial and firmware from the USB device."""
    card = bus = driver = ""
    try:
        fd = os.open(node, os.O_RDONLY | os.O_NONBLOCK)
        try:
            buffer = bytearray(_V4L2_CAPABILITY.size)
            fcntl.ioctl(fd, VIDIOC_QUERYCAP, buffer)
        finally:
            os.close(fd)
        raw_driver, raw_card, raw_bus, _version, _caps, _device_caps = _V4L2_CAPABILITY.unpack(
            bytes(buffer)
        )
        driver = raw_driver.split(b"\0", 1)[0].decode(errors="replace")
        card = raw_card.split(b"\0", 1)[0].decode(errors="replace")
        bus = raw_bus.split(b"\0", 1)[0].decode(errors="replace")
    except OSError as exc:
        log.warning("%s: VIDIOC_QUERYCAP failed: %s", name, exc)
    usb = _usb_attributes(node)
    vendor = usb.get("manufacturer") or usb.get("idVendor", "")
    model = usb.get("product") or card
    firmware = usb.get("bcdDevice", "")
    details = {"card": card, "bus": bus, "kernel_driver": driver}
    if "idVendor" in usb:
        details["usb_id"] = f"{usb['idVendor']}:{usb.get('idProduct', '')}"
    return DeviceInfo(
        vendor=vendor,
        model=model,
        serial=usb.get("serial", ""),
        firmware=firmware,
        details=details,
    )


def _usb_attributes(node: Path) -> dict[str, str]:
    """The USB device's sysfs attributes above a /dev/videoN node (empty when it is not on USB)."""
    sysfs = Path("/sys/class/video4linux") / node.resolve().name / "device"
    try:
        # `device` is the UVC interface; its parent directory is the USB device.
        usb_device = sysfs.resolve().parent
    except OSError:
        return {}
    attributes = {}
    for name in ("idVendor", "idProduct", "manufacturer", "product", "serial", "bcdDevice"):
        try:
            attributes[name] = (usb_device / name).read_text().strip()
        except OSError:
            continue
    return attributes

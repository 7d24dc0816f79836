"""Finds the USB device a source names, over the transport the source names.

    kfp1+usb://1d6b:0104?serial=KFP1-0001   libusb-1.0 (system library or the libusb-package wheel)
    kfp1+sim:unix:/run/kitsim/fingerprint.usb   the simulator backend over a Unix socket

Returns an unopened `usb.core.Device`; raises DeviceGone when nothing matches and DeviceFault when the
transport itself is unusable. This module must never claim an interface or transfer data.
"""

from __future__ import annotations

import re

import usb.backend
import usb.core
import usb.util

from hal.errors import DeviceFault, DeviceGone
from hal.source import Source, SourceError
from hal.usb.libusb import libusb1_backend
from hal.usb.sim_backend import SimBackend

_VID_PID = re.compile(r"^(?://)?(?P<vid>[0-9a-fA-F]{1,4}):(?P<pid>[0-9a-fA-F]{1,4})/?$")


def usb_ids(source: Source) -> tuple[int, int]:
    """The vendor and product ids of a `//VID:PID` target; SourceError for any other shape."""
    match = _VID_PID.match(source.target)
    if match is None:
        raise SourceError(f"{source.text!r}: expected //VID:PID in hex, e.g. //1d6b:0104")
    return int(match["vid"], 16), int(match["pid"], 16)


def check_usb_source(source: Source) -> None:
    """Raises SourceError unless the source names a USB device the way its transport wants."""
    if source.transport == "usb":
        usb_ids(source)
    elif source.transport == "sim":
        if not source.target.startswith("unix:") or not source.target.removeprefix("unix:"):
            raise SourceError(f"{source.text!r}: the sim transport takes unix:PATH")
    else:
        raise SourceError(f"{source.text!r}: no USB transport {source.transport!r}")


def backend_for(source: Source) -> usb.backend.IBackend:
    """The pyusb backend of the source's transport: libusb-1.0, or the simulator's socket."""
    if source.transport == "sim":
        if not source.target.startswith("unix:"):
            raise SourceError(f"{source.text!r}: the sim transport takes unix:PATH")
        return SimBackend(source.target.removeprefix("unix:"))
    if source.transport == "usb":
        return libusb1_backend()
    raise SourceError(f"{source.text!r}: no USB transport {source.transport!r}")


def _serial_of(device: usb.core.Device) -> str:
    if not device.iSerialNumber:
        return ""
    text = usb.util.get_string(device, device.iSerialNumber)
    return "" if text is None else str(text)


def find_device(source: Source, name: str) -> usb.core.Device:
    """The unopened device the source names (by serial if it gives one); DeviceGone when absent."""
    backend = backend_for(source)
    criteria: dict[str, int] = {}
    if source.transport == "usb":
        vid, pid = usb_ids(source)
        criteria = {"idVendor": vid, "idProduct": pid}
    wanted_serial = source.options.get("serial", "")
    try:
        candidates = list(usb.core.find(find_all=True, backend=backend, **criteria))
    except (usb.core.USBError, usb.core.NoBackendError) as exc:
        raise DeviceFault(f"cannot list USB devices ({exc})", device=name) from exc
    unreadable: list[str] = []
    for device in candidates:
        if not wanted_serial:
            return device
        try:
            serial = _serial_of(device)
        except (usb.core.USBError, ValueError) as exc:
            unreadable.append(str(exc))
            usb.util.dispose_resources(device)
            continue
        if serial == wanted_serial:
            return device
        usb.util.dispose_resources(device)
    where = source.target.removeprefix("unix:")
    if unreadable:
        raise DeviceGone(
            f"found a device at {where} but could not read its serial ({unreadable[0]}); "
            "check the udev rule that gives kitd access",
            device=name,
        )
    if candidates:
        raise DeviceGone(
            f"no device with serial {wanted_serial!r} at {where} "
            f"({len(candidates)} other reader(s) present)",
            device=name,
        )
    raise DeviceGone(f"no device at {where}: is the reader plugged in?", device=name)

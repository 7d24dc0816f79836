"""A simulated USB function as an umockdev device description: the sysfs device and its /dev/bus/usb node.

umockdev-run builds a testbed from it in which libusb, lsusb and udev see the simulated reader as if it
were plugged in: libusb enumerates it from the `descriptors` attribute and reads the active
configuration from `bConfigurationValue`; lsusb shows its strings. Attributes end in a newline, as the
kernel's do. Together with a usbmon capture (kitsim.usb.usbmon) the node answers transfers
(docs/protocols/usb-sim.md §5). This module must never import the daemon (kitd, hal).
"""

from __future__ import annotations

from kitsim.usb.function import FunctionSpec

# Mbit/s as sysfs writes them, by libusb speed code.
_SYSFS_SPEEDS = {1: "1.5", 2: "12", 3: "480", 4: "5000"}


def sysfs_path(bus: int) -> str:
    """Where the device sits in the testbed's sysfs: port 1 of root hub `bus`."""
    return f"/sys/devices/pci0000:00/0000:00:14.0/usb{bus}/{bus}-1"


def device_node(bus: int, address: int) -> str:
    """The /dev/bus/usb node of the device at `bus` and `address`."""
    return f"/dev/bus/usb/{bus:03d}/{address:03d}"


def device_description(spec: FunctionSpec, *, speed: int, bus: int, address: int) -> str:
    """The umockdev-record text of the USB device `spec` describes."""
    descriptors = spec.device_descriptor() + spec.configuration_descriptor()
    major, minor = spec.bcd_device >> 8, spec.bcd_device & 0xFF
    product = f"{spec.vendor_id:x}/{spec.product_id:x}/{spec.bcd_device:x}"
    lines = [
        f"P: {sysfs_path(bus).removeprefix('/sys')}",
        f"N: {device_node(bus, address).removeprefix('/dev/')}",
        f"E: BUSNUM={bus:03d}",
        f"E: DEVNAME={device_node(bus, address)}",
        f"E: DEVNUM={address:03d}",
        "E: DEVTYPE=usb_device",
        "E: DRIVER=usb",
        f"E: PRODUCT={product}",
        "E: SUBSYSTEM=usb",
        f"E: ID_VENDOR_ID={spec.vendor_id:04x}",
        f"E: ID_MODEL_ID={spec.product_id:04x}",
        f"E: ID_SERIAL_SHORT={spec.serial}",
        r"A: bConfigurationValue=1\n",
        r"A: bNumConfigurations=1\n",
        rf"A: bcdDevice={major:02x}{minor:02x}\n",
        rf"A: busnum={bus}\n",
        rf"A: devnum={address}\n",
        rf"A: idProduct={spec.product_id:04x}\n",
        rf"A: idVendor={spec.vendor_id:04x}\n",
        rf"A: manufacturer={spec.manufacturer}\n",
        rf"A: product={spec.product}\n",
        rf"A: serial={spec.serial}\n",
        rf"A: speed={_SYSFS_SPEEDS.get(speed, '480')}\n",
        f"H: descriptors={descriptors.hex().upper()}",
    ]
    return "\n".join(lines) + "\n"

"""The typed errors every device driver raises, whatever its transport.

A driver never lets a transport exception (USBError, SerialException, OSError) escape: it translates it
into one of these, with a message a technician can act on. The daemon maps them to API status codes and
device events; nothing here knows about gRPC.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base of every device error. `device` names the device (its configured id or source)."""

    def __init__(self, message: str, *, device: str = "") -> None:
        super().__init__(message)
        self.device = device

    def __str__(self) -> str:
        message = super().__str__()
        return f"{self.device}: {message}" if self.device else message


class DeviceGone(DeviceError):
    """The device is not there (unplugged, not found, link closed). The supervisor rebinds it."""


class DeviceTimeout(DeviceError):
    """The device did not answer in time, or nothing happened before the deadline (no finger placed)."""


class DeviceBusy(DeviceError):
    """The device is doing something else (another capture, another process holds it)."""


class ProtocolError(DeviceError):
    """The device sent something the protocol does not allow (bad frame, CRC, wrong tag, bad length)."""


class DeviceFault(DeviceError):
    """The device is connected but reports a failure of its own (sensor fault, firmware error)."""

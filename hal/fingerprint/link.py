"""The KFP1 reader's USB link: what travels from the endpoints to a capture, its counters, and USB
errors as the typed errors of hal.errors.

Nothing here decides anything about a capture; the readers (hal.fingerprint.readers) fill the inbox
(hal.fingerprint.inbox) with the items below, and the driver and the inbox count what they drop.
"""

from __future__ import annotations

import contextlib
import errno
import threading
from dataclasses import dataclass, replace

import usb.core
import usb.util

from hal.errors import (
    DeviceBusy,
    DeviceError,
    DeviceFault,
    DeviceGone,
    DeviceTimeout,
    ProtocolError,
)
from hal.fingerprint import protocol as kfp1

INTERFACE = 0
CONFIGURATION = 1

_LIBUSB_BUSY = -6
_LIBUSB_ACCESS = -3
_LIBUSB_PIPE = -9


@dataclass(frozen=True)
class LinkStats:
    """What the driver dropped or repeated since it was opened (for diagnostics and tests)."""

    stale_discarded: int = 0
    bad_transfers: int = 0
    corrupt_images: int = 0
    dropped_previews: int = 0
    stalls: int = 0
    capture_retries: int = 0


class LinkCounters:
    """The LinkStats of one opening, counted from the reader threads and the caller's alike."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats = LinkStats()

    @property
    def stats(self) -> LinkStats:
        with self._lock:
            return self._stats

    def count(self, **increments: int) -> None:
        with self._lock:
            values = {k: getattr(self._stats, k) + v for k, v in increments.items()}
            self._stats = replace(self._stats, **values)


@dataclass(frozen=True)
class EventIn:
    """An event from the interrupt endpoint (finger on/off, capture done, error)."""

    event: kfp1.Event


@dataclass(frozen=True)
class ImageIn:
    """A whole image from the image endpoint, its CRC checked."""

    image: kfp1.RawImage


@dataclass(frozen=True)
class ImageLost:
    """An image that cannot be used: CRC failed (tag known) or the endpoint stalled (tag unknown)."""

    reason: str
    tag: int | None
    kind: kfp1.ImageKindCode | None


@dataclass(frozen=True)
class LinkDown:
    """The opening ended: the reader was unplugged or closed."""

    error: DeviceGone


Inbound = EventIn | ImageIn | ImageLost | LinkDown


def is_pipe(exc: usb.core.USBError) -> bool:
    """Whether the error is a stalled endpoint (cleared with clear_halt, the link is fine)."""
    return bool(exc.backend_error_code == _LIBUSB_PIPE or exc.errno == errno.EPIPE)


def translate_usb_error(exc: usb.core.USBError, doing: str, device: str) -> DeviceError:
    """A USBError as the typed error a technician can act on."""
    if isinstance(exc, usb.core.USBTimeoutError):
        return DeviceTimeout(f"{doing}: the reader did not answer in time", device=device)
    code = exc.backend_error_code
    if code == _LIBUSB_BUSY or exc.errno == errno.EBUSY:
        return DeviceBusy(
            f"{doing}: the reader is held by another program (stop it, or unplug and replug)",
            device=device,
        )
    if code == _LIBUSB_ACCESS or exc.errno == errno.EACCES:
        return DeviceFault(
            f"{doing}: access to the reader was denied; check the udev rule for kitd",
            device=device,
        )
    if is_pipe(exc):
        return ProtocolError(f"{doing}: the reader stalled the endpoint", device=device)
    return DeviceGone(f"{doing}: the reader is gone ({exc.strerror or exc})", device=device)


def status_error(status: kfp1.Status, doing: str, device: str) -> DeviceError | None:
    """The typed error for a status the reader answered with; None for OK."""
    if status is kfp1.Status.OK:
        return None
    if status is kfp1.Status.BUSY:
        return DeviceBusy(
            f"{doing}: the reader is busy (a capture runs or the sensor recalibrates); "
            "try again in a moment",
            device=device,
        )
    if status is kfp1.Status.SENSOR_FAULT:
        return DeviceFault(
            f"{doing}: the reader reports a sensor fault; clean the glass and replug it",
            device=device,
        )
    if status is kfp1.Status.TIMEOUT:
        return DeviceTimeout(f"{doing}: the reader timed out", device=device)
    return ProtocolError(f"{doing}: the reader refused it ({status.name})", device=device)


def claim(device: usb.core.Device) -> None:
    """Takes the reader's interface for this process, in its one configuration."""
    try:
        if device.is_kernel_driver_active(INTERFACE):
            device.detach_kernel_driver(INTERFACE)
    except (NotImplementedError, usb.core.USBError):
        pass  # not every platform has kernel drivers to detach; claiming will tell
    try:
        active = device.get_active_configuration().bConfigurationValue
    except usb.core.USBError:
        active = None
    if active != CONFIGURATION:
        device.set_configuration(CONFIGURATION)
    usb.util.claim_interface(device, INTERFACE)


def release(device: usb.core.Device) -> None:
    """Gives the interface back; the device may already be gone, and nothing is held then."""
    with contextlib.suppress(usb.core.USBError, ValueError):
        usb.util.release_interface(device, INTERFACE)
    with contextlib.suppress(usb.core.USBError):
        usb.util.dispose_resources(device)

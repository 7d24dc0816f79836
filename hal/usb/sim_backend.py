"""A pyusb backend that carries USB transfers to a simulated device over a Unix socket.

It is a transport, like a TCP debug probe: pyusb and the drivers above it are the production code, and this
backend presents the simulated device exactly as the libusb-1.0 backend presents a real one - complete
descriptors, IndexError for a missing interface or alternate setting, USBTimeoutError for a timeout and
USBError with libusb's error code and errno for anything else (docs/protocols/usb-sim.md). It must never
import the simulator, and never raise anything but those exceptions from a transfer.
"""

# The descriptor fields carry the USB specification's names: pyusb reads them by those names.
# ruff: noqa: N815

from __future__ import annotations

import array
import contextlib
import errno
import functools
import os
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import usb.backend
import usb.core

MAGIC = 0x5355
REQUEST = struct.Struct("<HBBBBHHIII")
REPLY = struct.Struct("<HBbI")
DESCRIBE, SET_CONFIGURATION, GET_CONFIGURATION, CLAIM, RELEASE, SET_ALTSETTING = range(1, 7)
OUT, IN, CONTROL, CLEAR_HALT, RESET, CLOSE = range(7, 13)

LIBUSB_ERROR_IO = -1
LIBUSB_ERROR_NO_DEVICE = -4
LIBUSB_ERROR_TIMEOUT = -7
# libusb's messages and errnos, so that errors read the same whichever backend raised them.
_ERRORS: dict[int, tuple[str, int | None]] = {
    -1: ("Input/Output Error", errno.EIO),
    -2: ("Invalid parameter", errno.EINVAL),
    -3: ("Access denied (insufficient permissions)", errno.EACCES),
    -4: ("No such device (it may have been disconnected)", errno.ENODEV),
    -5: ("Entity not found", errno.ENOENT),
    -6: ("Resource busy", errno.EBUSY),
    -7: ("Operation timed out", errno.ETIMEDOUT),
    -8: ("Overflow", errno.EOVERFLOW),
    -9: ("Pipe error", errno.EPIPE),
    -10: ("System call interrupted (perhaps due to signal)", errno.EINTR),
    -11: ("Insufficient memory", errno.ENOMEM),
    -12: ("Operation not supported or unimplemented on this platform", errno.ENOSYS),
}
# How long past a transfer's own timeout the server may take to answer before the link counts as dead.
REPLY_GUARD_S = 2.0
DESCRIBE_TIMEOUT_S = 1.0


def usb_error(code: int) -> usb.core.USBError:
    """What the libusb-1.0 backend raises for `code`, with errno (USBTimeoutError for a timeout)."""
    message, number = _ERRORS.get(code, ("Other error", None))
    if code == LIBUSB_ERROR_TIMEOUT:
        return usb.core.USBTimeoutError(message, code, number)
    return usb.core.USBError(message, code, number)


# -- descriptors ------------------------------------------------------------------------------------------


@dataclass
class EndpointDescriptor:
    """A USB endpoint descriptor as the simulator reports it."""

    bLength: int
    bDescriptorType: int
    bEndpointAddress: int
    bmAttributes: int
    wMaxPacketSize: int
    bInterval: int
    bRefresh: int = 0
    bSynchAddress: int = 0
    extra_descriptors: list[int] = field(default_factory=list)


@dataclass
class InterfaceDescriptor:
    """A USB interface descriptor as the simulator reports it."""

    bLength: int
    bDescriptorType: int
    bInterfaceNumber: int
    bAlternateSetting: int
    bNumEndpoints: int
    bInterfaceClass: int
    bInterfaceSubClass: int
    bInterfaceProtocol: int
    iInterface: int
    endpoints: list[EndpointDescriptor] = field(default_factory=list)
    extra_descriptors: list[int] = field(default_factory=list)


@dataclass
class ConfigurationDescriptor:
    """A USB configuration descriptor as the simulator reports it."""

    bLength: int
    bDescriptorType: int
    wTotalLength: int
    bNumInterfaces: int
    bConfigurationValue: int
    iConfiguration: int
    bmAttributes: int
    bMaxPower: int
    # interfaces[i][alt]
    interfaces: list[list[InterfaceDescriptor]] = field(default_factory=list)
    extra_descriptors: list[int] = field(default_factory=list)


@dataclass
class DeviceDescriptor:
    """A USB device descriptor as the simulator reports it."""

    bLength: int
    bDescriptorType: int
    bcdUSB: int
    bDeviceClass: int
    bDeviceSubClass: int
    bDeviceProtocol: int
    bMaxPacketSize0: int
    idVendor: int
    idProduct: int
    bcdDevice: int
    iManufacturer: int
    iProduct: int
    iSerialNumber: int
    bNumConfigurations: int
    bus: int = 0
    address: int = 0
    speed: int = 0
    port_number: int | None = None
    port_numbers: tuple[int, ...] | None = None


def parse_configuration(blob: bytes) -> ConfigurationDescriptor:
    """Walks a configuration descriptor and everything under it; ValueError when it is malformed."""
    if len(blob) < 9 or blob[1] != 2:
        raise ValueError("configuration descriptor missing")
    config = ConfigurationDescriptor(*struct.unpack_from("<BBHBBBBB", blob))
    if config.wTotalLength != len(blob):
        raise ValueError("configuration descriptor length does not match wTotalLength")
    current: InterfaceDescriptor | EndpointDescriptor | ConfigurationDescriptor = config
    interface: InterfaceDescriptor | None = None
    for offset, length, kind in _descriptors(blob, config.bLength):
        if kind == 4 and length >= 9:
            interface = _add_interface(config, blob, offset)
            current = interface
        elif kind == 5 and length >= 7:
            if interface is None:
                raise ValueError("endpoint descriptor outside an interface")
            endpoint = _endpoint(blob, offset, length)
            interface.endpoints.append(endpoint)
            current = endpoint
        else:
            # A class- or vendor-specific descriptor belongs to the one before it.
            current.extra_descriptors.extend(blob[offset : offset + length])
    _check_counts(config)
    return config


def _descriptors(blob: bytes, offset: int) -> Iterator[tuple[int, int, int]]:
    """Offset, length and type of each descriptor from `offset` on; ValueError for a bad length."""
    while offset < len(blob):
        length = blob[offset]
        if length < 2 or offset + length > len(blob):
            raise ValueError(f"descriptor at offset {offset} has a bad length {length}")
        yield offset, length, blob[offset + 1]
        offset += length


def _add_interface(
    config: ConfigurationDescriptor, blob: bytes, offset: int
) -> InterfaceDescriptor:
    """Reads the interface descriptor at `offset` into its place among the configuration's."""
    interface = InterfaceDescriptor(*struct.unpack_from("<BBBBBBBBB", blob, offset))
    while len(config.interfaces) <= interface.bInterfaceNumber:
        config.interfaces.append([])
    config.interfaces[interface.bInterfaceNumber].append(interface)
    return interface


def _endpoint(blob: bytes, offset: int, length: int) -> EndpointDescriptor:
    endpoint = EndpointDescriptor(*struct.unpack_from("<BBBBHB", blob, offset))
    if length >= 9:  # audio-class endpoints carry two more fields
        endpoint.bRefresh, endpoint.bSynchAddress = blob[offset + 7], blob[offset + 8]
    return endpoint


def _check_counts(config: ConfigurationDescriptor) -> None:
    """Raises ValueError unless the interfaces and endpoints found are as many as announced."""
    if len(config.interfaces) != config.bNumInterfaces:
        raise ValueError("configuration announces a different number of interfaces")
    for alternates in config.interfaces:
        for alt in alternates:
            if len(alt.endpoints) != alt.bNumEndpoints:
                raise ValueError(f"interface {alt.bInterfaceNumber} has a wrong endpoint count")


@dataclass
class SimDevice:
    """pyusb's device id for the simulated device: its descriptors, read once at enumeration."""

    path: Path
    descriptor: DeviceDescriptor
    configuration: ConfigurationDescriptor


class SimHandle:
    """An opened device: its handle id and a pool of connections (one per concurrent transfer)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.id = int.from_bytes(os.urandom(4), "little") or 1
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()
        self.closed = False

    def take(self) -> socket.socket:
        with self._lock:
            if self.closed:
                raise usb_error(LIBUSB_ERROR_NO_DEVICE)
            if self._idle:
                return self._idle.pop()
        return _connect(self.path)

    def give(self, conn: socket.socket) -> None:
        with self._lock:
            if not self.closed:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _connect(path: Path) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        # No socket, or nobody listening: the device is not plugged in.
        raise usb_error(LIBUSB_ERROR_NO_DEVICE) from None
    return conn


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = conn.recv(min(size, 1 << 20))
        if not chunk:
            raise ConnectionResetError("simulator closed the connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _exchange(
    conn: socket.socket, request: bytes, data: bytes, wait_s: float | None
) -> tuple[int, int, bytes]:
    conn.settimeout(wait_s)
    conn.sendall(request + data)
    magic, op, status, length = REPLY.unpack(_recv_exact(conn, REPLY.size))
    if magic != MAGIC:
        raise ConnectionResetError("simulator reply out of step")
    payload = b"" if op == OUT else _recv_exact(conn, length)
    return status, length, payload


class SimBackend(usb.backend.IBackend):  # type: ignore[misc]
    """The simulated device behind one Unix socket, as pyusb's backend interface wants it."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)

    # -- transfers -------------------------------------------------------------------------------------

    def _call(
        self,
        handle: SimHandle,
        op: int,
        *,
        endpoint: int = 0,
        request: int = 0,
        value: int = 0,
        index: int = 0,
        length: int = 0,
        timeout: int = 0,
        data: bytes = b"",
    ) -> tuple[int, bytes]:
        header = REQUEST.pack(
            MAGIC, op, endpoint, request, 0, value, index, length, timeout, handle.id
        )
        wait_s = None if timeout == 0 else timeout / 1000.0 + REPLY_GUARD_S
        conn = handle.take()
        try:
            status, count, payload = _exchange(conn, header, data, wait_s)
        except TimeoutError:
            conn.close()
            raise usb_error(LIBUSB_ERROR_IO) from None
        except OSError:
            conn.close()
            raise usb_error(LIBUSB_ERROR_NO_DEVICE) from None
        except struct.error:
            conn.close()
            raise usb_error(LIBUSB_ERROR_IO) from None
        handle.give(conn)
        if status != 0:
            raise usb_error(status)
        return count, payload

    # -- enumeration and descriptors -------------------------------------------------------------------

    def enumerate_devices(self) -> list[SimDevice]:
        try:
            conn = _connect(self.path)
        except usb.core.USBError:
            return []
        try:
            header = REQUEST.pack(MAGIC, DESCRIBE, 0, 0, 0, 0, 0, 0, 0, 0)
            status, _count, payload = _exchange(conn, header, b"", DESCRIBE_TIMEOUT_S)
            if status != 0 or len(payload) < 3 + 18:
                return []
            speed, bus, address = payload[0], payload[1], payload[2]
            descriptor = DeviceDescriptor(*struct.unpack_from("<BBHBBBBHHHBBBB", payload, 3))
            descriptor.bus, descriptor.address, descriptor.speed = bus, address, speed
            descriptor.port_number, descriptor.port_numbers = 1, (1,)
            configuration = parse_configuration(payload[3 + 18 :])
        except (OSError, struct.error, ValueError):
            return []
        finally:
            conn.close()
        return [SimDevice(self.path, descriptor, configuration)]

    def get_parent(self, dev: SimDevice) -> None:
        return None

    def get_device_descriptor(self, dev: SimDevice) -> DeviceDescriptor:
        return dev.descriptor

    def get_configuration_descriptor(self, dev: SimDevice, config: int) -> ConfigurationDescriptor:
        if config != 0:
            raise IndexError(f"Invalid configuration index {config}")
        return dev.configuration

    def get_interface_descriptor(
        self, dev: SimDevice, intf: int, alt: int, config: int
    ) -> InterfaceDescriptor:
        cfg = self.get_configuration_descriptor(dev, config)
        if intf >= len(cfg.interfaces):
            raise IndexError(f"Invalid interface index {intf}")
        alternates = cfg.interfaces[intf]
        if alt >= len(alternates):
            raise IndexError(f"Invalid alternate setting index {alt}")
        return alternates[alt]

    def get_endpoint_descriptor(
        self, dev: SimDevice, ep: int, intf: int, alt: int, config: int
    ) -> EndpointDescriptor:
        interface = self.get_interface_descriptor(dev, intf, alt, config)
        if ep >= len(interface.endpoints):
            raise IndexError(f"Invalid endpoint index {ep}")
        return interface.endpoints[ep]

    # -- handles ---------------------------------------------------------------------------------------

    def open_device(self, dev: SimDevice) -> SimHandle:
        handle = SimHandle(dev.path)
        # Opening a vanished device fails, as libusb_open does.
        conn = handle.take()
        handle.give(conn)
        return handle

    def close_device(self, dev_handle: SimHandle) -> None:
        with contextlib.suppress(usb.core.USBError):
            self._call(dev_handle, CLOSE, timeout=1000)
        dev_handle.close()

    def set_configuration(self, dev_handle: SimHandle, config_value: int) -> None:
        self._call(dev_handle, SET_CONFIGURATION, value=config_value, timeout=1000)

    def get_configuration(self, dev_handle: SimHandle) -> int:
        _count, payload = self._call(dev_handle, GET_CONFIGURATION, timeout=1000)
        if len(payload) != 1:
            raise usb_error(LIBUSB_ERROR_IO)
        return payload[0]

    def set_interface_altsetting(self, dev_handle: SimHandle, intf: int, altsetting: int) -> None:
        self._call(dev_handle, SET_ALTSETTING, value=altsetting, index=intf, timeout=1000)

    def claim_interface(self, dev_handle: SimHandle, intf: int) -> None:
        self._call(dev_handle, CLAIM, index=intf, timeout=1000)

    def release_interface(self, dev_handle: SimHandle, intf: int) -> None:
        self._call(dev_handle, RELEASE, index=intf, timeout=1000)

    def _write(self, dev_handle: SimHandle, ep: int, data: Any, timeout: int) -> int:
        payload = bytes(memoryview(data).cast("B"))
        count, _ = self._call(
            dev_handle, OUT, endpoint=ep, length=len(payload), timeout=timeout, data=payload
        )
        return count

    def _read(self, dev_handle: SimHandle, ep: int, buff: Any, timeout: int) -> int:
        view = memoryview(buff).cast("B")
        _count, payload = self._call(dev_handle, IN, endpoint=ep, length=len(view), timeout=timeout)
        if len(payload) > len(view):
            raise usb_error(-8)
        view[: len(payload)] = payload
        return len(payload)

    def bulk_write(self, dev_handle: SimHandle, ep: int, intf: int, data: Any, timeout: int) -> int:
        return self._write(dev_handle, ep, data, timeout)

    def bulk_read(self, dev_handle: SimHandle, ep: int, intf: int, buff: Any, timeout: int) -> int:
        return self._read(dev_handle, ep, buff, timeout)

    def intr_write(self, dev_handle: SimHandle, ep: int, intf: int, data: Any, timeout: int) -> int:
        return self._write(dev_handle, ep, data, timeout)

    def intr_read(self, dev_handle: SimHandle, ep: int, intf: int, buff: Any, timeout: int) -> int:
        return self._read(dev_handle, ep, buff, timeout)

    def ctrl_transfer(  # noqa: PLR0917 - pyusb's backend interface
        self,
        dev_handle: SimHandle,
        bmRequestType: int,
        bRequest: int,
        wValue: int,
        wIndex: int,
        data: Any,
        timeout: int,
    ) -> int:
        view = memoryview(data if data is not None else array.array("B")).cast("B")
        call = functools.partial(
            self._call,
            dev_handle,
            CONTROL,
            endpoint=bmRequestType,
            request=bRequest,
            value=wValue,
            index=wIndex,
            timeout=timeout,
        )
        if bmRequestType & 0x80:
            _count, payload = call(length=len(view))
            view[: len(payload)] = payload[: len(view)]
            return min(len(payload), len(view))
        out = bytes(view)
        call(length=len(out), data=out)
        return len(out)

    def clear_halt(self, dev_handle: SimHandle, ep: int) -> None:
        self._call(dev_handle, CLEAR_HALT, endpoint=ep, timeout=1000)

    def reset_device(self, dev_handle: SimHandle) -> None:
        self._call(dev_handle, RESET, timeout=1000)

    def is_kernel_driver_active(self, dev_handle: SimHandle, intf: int) -> bool:
        return False

    def detach_kernel_driver(self, dev_handle: SimHandle, intf: int) -> None:
        return None

    def attach_kernel_driver(self, dev_handle: SimHandle, intf: int) -> None:
        return None

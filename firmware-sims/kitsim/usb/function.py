"""A simulated USB function: its descriptors, its IN endpoints as transfer queues, its control requests.

What the USB device controller of a real reader does below the firmware: keep transfers queued per IN
endpoint until the host asks, halt (stall) an endpoint, answer the standard control requests from the
descriptors. The socket server (socket_server.py) calls it; the firmware fills its queues. This module must
never import the daemon (kitd, hal).
"""

from __future__ import annotations

import collections
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# libusb error codes, the statuses of the socket protocol (docs/protocols/usb-sim.md).
OK, IO, NO_DEVICE, NOT_FOUND, BUSY, TIMEOUT, OVERFLOW, PIPE = 0, -1, -4, -5, -6, -7, -8, -9
SPEED_HIGH = 3
# Where the simulated device sits on its simulated bus (DESCRIBE reports it; recordings name it).
BUS, ADDRESS = 1, 4

CONTROL, BULK, INTERRUPT = 0, 2, 3


@dataclass(frozen=True)
class EndpointSpec:
    """A USB endpoint's address, type, packet size and interval."""

    address: int
    kind: int
    max_packet: int
    interval: int = 0


@dataclass(frozen=True)
class Setup:
    """The setup packet of a control transfer."""

    request_type: int
    request: int
    value: int
    index: int
    length: int


@dataclass(frozen=True)
class FunctionSpec:
    """A simulated USB device's descriptors."""

    vendor_id: int
    product_id: int
    bcd_device: int
    manufacturer: str
    product: str
    serial: str
    interface_name: str
    interface_class: int
    interface_subclass: int
    interface_protocol: int
    endpoints: tuple[EndpointSpec, ...]
    max_power_2ma: int = 250

    def device_descriptor(self) -> bytes:
        return struct.pack(
            "<BBHBBBBHHHBBBB",
            18,
            1,
            0x0200,
            0,
            0,
            0,
            64,
            self.vendor_id,
            self.product_id,
            self.bcd_device,
            1,
            2,
            3,
            1,
        )

    def configuration_descriptor(self) -> bytes:
        interface = struct.pack(
            "<BBBBBBBBB",
            9,
            4,
            0,
            0,
            len(self.endpoints),
            self.interface_class,
            self.interface_subclass,
            self.interface_protocol,
            4,
        )
        endpoints = b"".join(
            struct.pack("<BBBBHB", 7, 5, e.address, e.kind, e.max_packet, e.interval)
            for e in self.endpoints
        )
        total = 9 + len(interface) + len(endpoints)
        head = struct.pack("<BBHBBBBB", 9, 2, total, 1, 1, 0, 0x80, self.max_power_2ma)
        return head + interface + endpoints

    def string(self, index: int) -> bytes | None:
        if index == 0:
            return struct.pack("<BBH", 4, 3, 0x0409)  # US English only
        texts = {1: self.manufacturer, 2: self.product, 3: self.serial, 4: self.interface_name}
        text = texts.get(index)
        if text is None:
            return None
        raw = text.encode("utf-16-le")
        return bytes([2 + len(raw), 3]) + raw


class InEndpoint:
    """Transfers waiting for the host on one IN endpoint."""

    def __init__(self, address: int) -> None:
        self.address = address
        self._queue: collections.deque[bytes] = collections.deque()
        self._cond = threading.Condition()
        self._halted = False
        self._closed = False
        self.delivered = 0

    def put(self, transfers: list[bytes]) -> None:
        with self._cond:
            self._queue.extend(transfers)
            self._cond.notify_all()

    def halt(self) -> None:
        with self._cond:
            self._halted = True
            self._queue.clear()
            self._cond.notify_all()

    def clear_halt(self) -> None:
        with self._cond:
            self._halted = False

    def flush(self) -> None:
        with self._cond:
            self._queue.clear()
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()

    def wait_empty(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue or self._closed, timeout)

    def read(self, max_length: int, timeout_ms: int) -> tuple[int, bytes]:
        deadline = None if timeout_ms == 0 else time.monotonic() + timeout_ms / 1000.0
        with self._cond:
            while True:
                if self._closed:
                    return NO_DEVICE, b""
                if self._halted:
                    return PIPE, b""
                if self._queue:
                    transfer = self._queue.popleft()
                    self.delivered += 1
                    self._cond.notify_all()
                    if len(transfer) > max_length:
                        return OVERFLOW, b""
                    return OK, transfer
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return TIMEOUT, b""
                self._cond.wait(remaining)


OutHandler = Callable[[int, bytes], None]


class UsbFunction:
    """Descriptors + endpoints of one plugged-in device; the firmware handles OUT data."""

    def __init__(self, spec: FunctionSpec, on_out: OutHandler) -> None:
        self.spec = spec
        self.on_out = on_out
        self.inputs = {e.address: InEndpoint(e.address) for e in spec.endpoints if e.address & 0x80}
        self.outputs = {e.address for e in spec.endpoints if not e.address & 0x80}
        self.configuration = 0
        self._claims: dict[int, int] = {}
        self._lock = threading.Lock()

    def endpoint_kind(self, address: int) -> int:
        """The endpoint's transfer type (bulk, interrupt); 0 is the control endpoint."""
        for endpoint in self.spec.endpoints:
            if endpoint.address == address:
                return endpoint.kind
        return CONTROL

    def describe(self) -> bytes:
        return (
            bytes([SPEED_HIGH, BUS, ADDRESS])
            + self.spec.device_descriptor()
            + self.spec.configuration_descriptor()
        )

    def claim(self, interface: int, handle: int) -> int:
        if interface != 0:
            return NOT_FOUND
        with self._lock:
            owner = self._claims.get(interface)
            if owner not in (None, handle):
                return BUSY
            self._claims[interface] = handle
        return OK

    def release(self, interface: int, handle: int) -> int:
        with self._lock:
            if self._claims.get(interface) == handle:
                del self._claims[interface]
        return OK

    def release_handle(self, handle: int) -> None:
        with self._lock:
            for interface in [i for i, h in self._claims.items() if h == handle]:
                del self._claims[interface]

    def write(self, endpoint: int, data: bytes) -> int:
        if endpoint not in self.outputs:
            return PIPE
        self.on_out(endpoint, data)
        return OK

    def read(self, endpoint: int, max_length: int, timeout_ms: int) -> tuple[int, bytes]:
        pipe = self.inputs.get(endpoint)
        if pipe is None:
            return PIPE, b""
        return pipe.read(max_length, timeout_ms)

    def clear_halt(self, endpoint: int) -> int:
        pipe = self.inputs.get(endpoint)
        if pipe is not None:
            pipe.clear_halt()
        return OK

    def close(self) -> None:
        for pipe in self.inputs.values():
            pipe.close()

    def control(self, setup: Setup, data: bytes) -> tuple[int, bytes]:
        """Standard requests only; anything else stalls, as a vendor device without them would."""
        request_type, request, value, index, length = (
            setup.request_type,
            setup.request,
            setup.value,
            setup.index,
            setup.length,
        )
        GET_STATUS, CLEAR_FEATURE, GET_DESCRIPTOR, SET_CONFIGURATION, SET_INTERFACE = (
            0,
            1,
            6,
            9,
            11,
        )
        if request_type == 0x80 and request == GET_DESCRIPTOR:
            kind, number = value >> 8, value & 0xFF
            blob: bytes | None = None
            if kind == 1:
                blob = self.spec.device_descriptor()
            elif kind == 2 and number == 0:
                blob = self.spec.configuration_descriptor()
            elif kind == 3:
                blob = self.spec.string(number)
            return (PIPE, b"") if blob is None else (OK, blob[:length])
        if request_type & 0x80 and request == GET_STATUS:
            return OK, b"\x00\x00"[:length]
        if request_type == 0x00 and request == SET_CONFIGURATION:
            self.configuration = value
            return OK, b""
        if request_type == 0x01 and request == SET_INTERFACE:
            return (OK, b"") if value == 0 and index == 0 else (PIPE, b"")
        if request_type == 0x02 and request == CLEAR_FEATURE and value == 0:
            return self.clear_halt(index & 0xFF), b""
        return PIPE, b""

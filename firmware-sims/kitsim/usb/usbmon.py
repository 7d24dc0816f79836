"""Records the transfers a simulated USB function answered as a usbmon capture (classic pcap, linktype 220).

What for: umockdev-run replays such a capture to a program that uses libusb on a `/dev/bus/usb` node, so
a session recorded from the simulator drives the production libusb path in CI (docs/protocols/usb-sim.md
§5). The capture has what umockdev's in-order replayer needs and nothing else:

* one submit ('S') and one completion ('C') record per transfer, back to back, in the order the host
  saw the completions; the submit carries the host's buffer size and, for OUT, the data;
* a control transfer's wLength as the buffer size and the endpoint as the kernel shows it (0x80 for
  device-to-host); its setup packet is in the submit's header but flagged as not captured: a standard
  request with a captured setup is one the replayer skips, as the kernel's own, whenever the host has
  not submitted it yet - this way the replayer waits for it (in order, by length);
* errors as a negative errno in the completion (a stall is -EPIPE, an unplug -ENODEV);
* no record for a read that timed out: the replayer makes the host's timeouts itself.

Configuration requests that usbfs serves with ioctls of their own (claim, set configuration, clear
halt, ...) are not URBs and are not recorded. This module must never import the daemon (kitd, hal).
"""

from __future__ import annotations

import errno
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kitsim.usb.function import IO, NO_DEVICE, OK, OVERFLOW, PIPE, TIMEOUT

LINKTYPE_USB_LINUX_MMAPPED = 220
PCAP_HEADER = struct.Struct("<IHHiIII")
RECORD_HEADER = struct.Struct("<IIII")
# The usbmon "mmapped" header: id, event, transfer type, endpoint, device, bus, setup flag, data flag,
# seconds, microseconds, status, urb length, data length, setup, interval, start frame, flags, ndesc.
USBMON_HEADER = struct.Struct("<QBBBBHBBqiiII8siiII")
SNAPLEN = 1 << 20

# usbmon's transfer types (iso 0, interrupt 1, control 2, bulk 3), by the endpoint descriptor's
# transfer type (control 0, iso 1, bulk 2, interrupt 3).
_USBMON_TYPES = {0: 2, 1: 0, 2: 3, 3: 1}
# usbmon's data flag: 0 means "present"; otherwise '<' / '>' for no data.
_PRESENT = 0

# A libusb status of the socket protocol as the URB status usbfs reports.
_URB_STATUS = {
    OK: 0,
    IO: -errno.EPROTO,
    NO_DEVICE: -errno.ENODEV,
    PIPE: -errno.EPIPE,
    OVERFLOW: -errno.EOVERFLOW,
}


class UsbmonRecorder:
    """Writes a usbmon pcap of one USB device's transfers; safe to call from every socket thread."""

    def __init__(self, path: Path, *, bus: int, address: int) -> None:
        self.path = path
        self.bus = bus
        self.address = address
        self._lock = threading.RLock()
        self._next_id = 1
        self._file: BinaryIO | None = path.open("wb")
        self._file.write(
            PCAP_HEADER.pack(0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_USB_LINUX_MMAPPED)
        )
        self._file.flush()

    @property
    def lock(self) -> threading.RLock:
        """Held while an OUT transfer is handled, so that what the device does about it is recorded
        after it: the replayer hands the host its transfers in this file's order.
        """
        return self._lock

    def close(self) -> None:
        with self._lock:
            file, self._file = self._file, None
        if file is not None:
            file.close()

    def transfer(
        self,
        endpoint_type: int,
        endpoint: int,
        *,
        host_length: int,
        status: int,
        out_data: bytes = b"",
        in_data: bytes = b"",
        setup: bytes | None = None,
    ) -> None:
        """One transfer the host made and its outcome (`status`: a libusb code of the socket protocol).

        `endpoint_type` is the endpoint descriptor's transfer type; `setup` is given for control
        transfers, whose `host_length` is then wLength.
        """
        if status == TIMEOUT:
            return
        kind = _USBMON_TYPES[endpoint_type & 0x03]
        urb_status = _URB_STATUS.get(status, -errno.EPROTO)
        received = in_data if status == OK else b""
        if setup is not None:
            submit = _Event(kind, endpoint, 0, host_length, b"", setup)
            complete = _Event(kind, endpoint, urb_status, len(received), received)
        elif endpoint & 0x80:
            submit = _Event(kind, endpoint, 0, host_length)
            complete = _Event(kind, endpoint, urb_status, len(received), received)
        else:
            submit = _Event(kind, endpoint, 0, len(out_data), out_data)
            done = len(out_data) if status == OK else 0
            complete = _Event(kind, endpoint, urb_status, done)
        with self._lock:
            if self._file is None:
                return
            urb = self._next_id
            self._next_id += 1
            self._write(urb, "S", submit)
            self._write(urb, "C", complete)
            self._file.flush()

    def _write(self, urb: int, event_type: str, event: _Event) -> None:
        assert self._file is not None
        now = time.time()
        seconds, micros = int(now), int((now % 1) * 1_000_000)
        incoming = bool(event.endpoint & 0x80)
        header = USBMON_HEADER.pack(
            urb,
            ord(event_type),
            event.kind,
            event.endpoint,
            self.address,
            self.bus,
            ord("-"),  # see the module's docstring: the setup bytes are there, flagged absent
            _PRESENT if event.data else ord("<" if incoming else ">"),
            seconds,
            micros,
            event.status,
            event.urb_length,
            len(event.data),
            event.setup if event.setup is not None else bytes(8),
            0,
            0,
            0,
            0,
        )
        packet = header + event.data
        self._file.write(RECORD_HEADER.pack(seconds, micros, len(packet), len(packet)) + packet)


@dataclass(frozen=True)
class _Event:
    """One usbmon record's own fields: the transfer type and endpoint, status, lengths and bytes."""

    kind: int
    endpoint: int
    status: int
    urb_length: int
    data: bytes = b""
    setup: bytes | None = None

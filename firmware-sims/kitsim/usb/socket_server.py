"""Serves a simulated USB function on a Unix socket (docs/protocols/usb-sim.md).

One thread accepts, one thread per connection answers its requests one at a time (an IN request may block
up to its timeout, so each endpoint reader of the host has its own connection). `unplug` closes the
listener and every connection and removes the socket file; `plug` serves a fresh function on the same
path. With a recorder, every transfer it answers goes into a usbmon capture (kitsim.usb.usbmon). This
module must never import the daemon (kitd, hal).
"""

from __future__ import annotations

import collections
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kitsim.usb.function import IO, NO_DEVICE, OK, Setup, UsbFunction
from kitsim.usb.usbmon import UsbmonRecorder

MAGIC = 0x5355
REQUEST = struct.Struct("<HBBBBHHIII")
REPLY = struct.Struct("<HBbI")
DESCRIBE, SET_CONFIGURATION, GET_CONFIGURATION, CLAIM, RELEASE, SET_ALTSETTING = range(1, 7)
OUT, IN, CONTROL, CLEAR_HALT, RESET, CLOSE = range(7, 13)
MAX_OUT = 1 << 20
# Recording: an endpoint the host read this recently counts as one it keeps a read pending on (the
# host's readers renew theirs every 250 ms; a command's answer ages out), and an unplug waits at most
# this long for those reads.
RECENT_READ_S = 0.4
PENDING_READS_WAIT_S = 1.0


@dataclass(frozen=True)
class Request:
    """A request on the simulated USB socket."""

    magic: int
    op: int
    endpoint: int
    request: int
    reserved: int
    value: int
    index: int
    length: int
    timeout: int
    handle: int


def _set_configuration(function: UsbFunction, r: Request, data: bytes) -> tuple[int, bytes]:
    function.configuration = r.value
    return OK, b""


def _close(function: UsbFunction, r: Request, data: bytes) -> tuple[int, bytes]:
    function.release_handle(r.handle)
    return OK, b""


# What each operation does to the function, as (status, reply); an unknown one is taken for CLOSE.
_OPERATIONS: dict[int, Callable[[UsbFunction, Request, bytes], tuple[int, bytes]]] = {
    DESCRIBE: lambda function, r, data: (OK, function.describe()),
    SET_CONFIGURATION: _set_configuration,
    GET_CONFIGURATION: lambda function, r, data: (OK, bytes([function.configuration])),
    CLAIM: lambda function, r, data: (function.claim(r.index, r.handle), b""),
    RELEASE: lambda function, r, data: (function.release(r.index, r.handle), b""),
    SET_ALTSETTING: lambda function, r, data: function.control(
        Setup(0x01, 11, r.value, r.index, 0), b""
    ),
    OUT: lambda function, r, data: (function.write(r.endpoint, data), b""),
    IN: lambda function, r, data: function.read(r.endpoint, r.length, r.timeout),
    CONTROL: lambda function, r, data: function.control(
        Setup(r.endpoint, r.request, r.value, r.index, r.length), data
    ),
    CLEAR_HALT: lambda function, r, data: (function.clear_halt(r.endpoint), b""),
    RESET: lambda function, r, data: (OK, b""),
    CLOSE: _close,
}


def _dispatch(function: UsbFunction, r: Request, data: bytes) -> tuple[int, bytes]:
    return _OPERATIONS.get(r.op, _close)(function, r, data)


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = conn.recv(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class UsbSocketServer:
    """The Unix socket over which the simulator backend reaches a simulated USB function."""

    def __init__(
        self,
        path: Path,
        make_function: Callable[[], UsbFunction],
        recorder: UsbmonRecorder | None = None,
    ) -> None:
        self.path = path
        self._make_function = make_function
        self._recorder = recorder
        self._reads = threading.Condition()
        self._reads_in_flight: collections.Counter[int] = collections.Counter()
        self._last_read: dict[int, float] = {}
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._handles: dict[socket.socket, int] = {}
        self.function: UsbFunction | None = None

    @property
    def plugged(self) -> bool:
        return self._listener is not None

    def plug(self) -> UsbFunction:
        with self._lock:
            if self._listener is not None and self.function is not None:
                return self.function
            self.path.unlink(missing_ok=True)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(self.path))
            listener.listen(16)
            self._listener = listener
            self.function = self._make_function()
            threading.Thread(
                target=self._accept, args=(listener, self.function), daemon=True
            ).start()
            return self.function

    def unplug(self) -> None:
        if self._recorder is not None:
            self._await_pending_reads()
        with self._lock:
            listener, self._listener = self._listener, None
            function, self.function = self.function, None
            connections = list(self._connections)
            self._connections.clear()
            self._handles.clear()
        if function is not None:
            function.close()
        if listener is not None:
            # shutdown() wakes the accept() blocked in the other thread; close() alone does not.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
            self.path.unlink(missing_ok=True)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket, function: UsbFunction) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                if self._listener is not listener:
                    conn.close()
                    return
                self._connections.add(conn)
            threading.Thread(target=self._serve, args=(conn, function), daemon=True).start()

    def _serve(self, conn: socket.socket, function: UsbFunction) -> None:
        handle = 0
        try:
            while True:
                head = _recv_exact(conn, REQUEST.size)
                if head is None:
                    return
                request = Request(*REQUEST.unpack(head))
                magic, op, endpoint, length, handle = (
                    request.magic,
                    request.op,
                    request.endpoint,
                    request.length,
                    request.handle,
                )
                with self._lock:
                    self._handles[conn] = handle
                if magic != MAGIC or op < DESCRIBE or op > CLOSE:
                    conn.sendall(REPLY.pack(MAGIC, op & 0xFF, IO, 0))
                    return
                data = b""
                host_to_device = op == OUT or (op == CONTROL and not endpoint & 0x80)
                if host_to_device:
                    if length > MAX_OUT:
                        conn.sendall(REPLY.pack(MAGIC, op, IO, 0))
                        return
                    received = _recv_exact(conn, length)
                    if received is None:
                        return
                    data = received
                if not self._is_current(conn, function):
                    conn.sendall(REPLY.pack(MAGIC, op, NO_DEVICE, 0))
                    return
                status, reply = self._answer(conn, function, request, data)
                count = len(data) if op == OUT and status == OK else len(reply)
                conn.sendall(REPLY.pack(MAGIC, op, status, count) + (b"" if op == OUT else reply))
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.discard(conn)
                self._handles.pop(conn, None)
                still_open = handle in self._handles.values()
            if handle and not still_open:
                function.release_handle(handle)
            with contextlib.suppress(OSError):
                conn.close()

    def _answer(
        self, conn: socket.socket, function: UsbFunction, request: Request, data: bytes
    ) -> tuple[int, bytes]:
        recorder = self._recorder
        if recorder is None or request.op not in (OUT, IN, CONTROL):
            return self._current_answer(conn, function, request, data)
        if request.op == IN:
            with self._reads:
                self._reads_in_flight[request.endpoint] += 1
                self._reads.notify_all()
            try:
                status, reply = self._current_answer(conn, function, request, data)
            finally:
                with self._reads:
                    self._reads_in_flight[request.endpoint] -= 1
                    self._last_read[request.endpoint] = time.monotonic()
            with recorder.lock:
                recorder.transfer(
                    function.endpoint_kind(request.endpoint),
                    request.endpoint,
                    host_length=request.length,
                    status=status,
                    in_data=reply,
                )
            return status, reply
        # What the device does about an OUT or control transfer must be recorded after it.
        with recorder.lock:
            status, reply = self._current_answer(conn, function, request, data)
            setup = None
            endpoint = request.endpoint
            if request.op == CONTROL:
                setup = struct.pack(
                    "<BBHHH",
                    request.endpoint,
                    request.request,
                    request.value,
                    request.index,
                    request.length,
                )
                endpoint = request.endpoint & 0x80
            recorder.transfer(
                function.endpoint_kind(endpoint),  # the control endpoint for a control transfer
                endpoint,
                host_length=request.length,
                status=status,
                out_data=data if setup is None else b"",
                in_data=reply,
                setup=setup,
            )
        return status, reply

    def _await_pending_reads(self) -> None:
        """Lets the host renew the reads it keeps pending before the device goes.

        The replayer can hand the loss only to a transfer the host submitted; a host between two reads
        learns of it at its next submit, which no recording can hold. So, when recording, an unplug
        lands while the host waits on every endpoint it has been reading - as it does on a real bus.
        """
        deadline = time.monotonic() + PENDING_READS_WAIT_S
        with self._reads:
            while True:
                now = time.monotonic()
                idle = [
                    endpoint
                    for endpoint, last in self._last_read.items()
                    if now - last < RECENT_READ_S and not self._reads_in_flight[endpoint]
                ]
                if not idle or now >= deadline:
                    return
                self._reads.wait(0.02)

    def _current_answer(
        self, conn: socket.socket, function: UsbFunction, request: Request, data: bytes
    ) -> tuple[int, bytes]:
        status, reply = _dispatch(function, request, data)
        if not self._is_current(conn, function):
            # Unplugged while the request waited: the transfer dies with the device.
            return NO_DEVICE, b""
        return status, reply

    def _is_current(self, conn: socket.socket, function: UsbFunction) -> bool:
        with self._lock:
            return self.function is function and conn in self._connections

"""The pad firmware's own frame codec (COBS, CRC-16/CCITT-FALSE), written apart from the driver's.

The simulator deliberately does not import hal.signpad.framing: two independent implementations of
docs/protocols/signpad.md meeting on the wire is what makes the simulator a test of the driver.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterator

MAX_ENCODED = 1100


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE, the frames' checksum."""
    return binascii.crc_hqx(data, 0xFFFF)


def stuff(data: bytes) -> bytes:
    """COBS-encodes a frame's bytes, so that zero can delimit frames on the wire."""
    out = bytearray()
    block = bytearray()
    ended_full = False
    for byte in data:
        ended_full = False
        if byte == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
            continue
        block.append(byte)
        if len(block) == 254:
            # A full block (code 0xFF) carries no implied zero.
            out.append(0xFF)
            out += block
            block.clear()
            ended_full = True
    if not ended_full:
        out.append(len(block) + 1)
        out += block
    return bytes(out)


def unstuff(data: bytes) -> bytes | None:
    """Undoes `stuff`; None for bytes that are not COBS."""
    out = bytearray()
    i = 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data):
            return None
        out += data[i + 1 : i + code]
        i += code
        if code != 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


def encode(frame_type: int, seq: int, payload: bytes, *, corrupt: bool = False) -> bytes:
    """One frame on the wire, delimiter included; `corrupt` flips a bit the CRC then catches."""
    body = bytearray((frame_type, seq)) + payload
    body += crc16(bytes(body)).to_bytes(2, "big")
    if corrupt:
        # A flipped bit inside the frame: the receiver's CRC check must catch it.
        body[len(body) // 2] ^= 0x10
    return stuff(bytes(body)) + b"\x00"


class Deframer:
    """Splits the host's byte stream into (type, seq, payload); damaged frames are counted and skipped."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.bad = 0

    def feed(self, data: bytes) -> Iterator[tuple[int, int, bytes]]:
        for byte in data:
            if byte != 0:
                if len(self._buffer) <= MAX_ENCODED:
                    self._buffer.append(byte)
                continue
            encoded, self._buffer = bytes(self._buffer), bytearray()
            if not encoded:
                continue
            body = unstuff(encoded) if len(encoded) <= MAX_ENCODED else None
            if (
                body is None
                or len(body) < 4
                or crc16(body[:-2]) != int.from_bytes(body[-2:], "big")
            ):
                self.bad += 1
                continue
            yield body[0], body[1], body[2:-2]

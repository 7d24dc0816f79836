"""The signature pad's frame codec: COBS framing with a CRC-16/CCITT-FALSE trailer.

`encode_frame` builds the bytes for one frame, delimiter included; `FrameDecoder` turns an arbitrary byte
stream (split anywhere, with line noise) back into frames and resynchronises on the next 0x00 after damage.
Pure bytes in, bytes out: this module never touches a port and never raises on bad input bytes; bad frames
are counted, not thrown.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

DELIMITER = 0x00
MAX_PAYLOAD = 1024
# type + seq + payload + crc; COBS adds one byte per 254 plus one.
MAX_BODY = 2 + MAX_PAYLOAD + 2
MAX_ENCODED = MAX_BODY + MAX_BODY // 254 + 2


class FramingError(ValueError):
    """A frame that cannot be decoded (COBS, length or CRC); the decoder counts these and goes on."""


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR."""
    return binascii.crc_hqx(data, 0xFFFF)


def cobs_encode(data: bytes) -> bytes:
    """COBS-encodes `data`; the result contains no 0x00 (the delimiter is not appended)."""
    out = bytearray()
    start = 0
    length = len(data)
    while True:
        # One block: the bytes up to the next zero, or 254 non-zero bytes (code 0xFF, no implied zero).
        limit = min(start + 254, length)
        zero = data.find(b"\x00", start, limit)
        if zero != -1:
            out.append(zero - start + 1)
            out += data[start:zero]
            start = zero + 1
            if start == length:
                # The input ended with a zero: a final empty block stands for it.
                out.append(1)
                break
            continue
        out.append(limit - start + 1)
        out += data[start:limit]
        start = limit
        if start == length:
            break
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """Decodes one COBS block sequence (without delimiter); raises FramingError when it is malformed."""
    out = bytearray()
    index = 0
    length = len(data)
    while index < length:
        code = data[index]
        if code == 0:
            raise FramingError("COBS data contains a zero byte")
        end = index + code
        if end > length:
            raise FramingError("COBS block runs past the end of the frame")
        chunk = data[index + 1 : end]
        if 0 in chunk:
            raise FramingError("COBS data contains a zero byte")
        out += chunk
        index = end
        # A code below 255 stands for a zero after its block, except at the very end.
        if code < 0xFF and index < length:
            out.append(0)
    return bytes(out)


@dataclass(frozen=True)
class Frame:
    """One decoded frame: type, sequence number and payload."""

    type: int
    seq: int
    payload: bytes


def encode_frame(frame_type: int, seq: int, payload: bytes = b"") -> bytes:
    """The wire bytes of one frame, delimiter included."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds the {MAX_PAYLOAD}-byte limit")
    body = bytes((frame_type & 0xFF, seq & 0xFF)) + payload
    body += crc16_ccitt_false(body).to_bytes(2, "big")
    return cobs_encode(body) + b"\x00"


def decode_frame(encoded: bytes) -> Frame:
    """Decodes one frame's bytes (without the delimiter); raises FramingError when it is damaged."""
    if len(encoded) > MAX_ENCODED:
        raise FramingError(f"frame of {len(encoded)} bytes is longer than any valid frame")
    body = cobs_decode(encoded)
    if len(body) < 4:
        raise FramingError(f"frame of {len(body)} bytes is too short")
    if crc16_ccitt_false(body[:-2]) != int.from_bytes(body[-2:], "big"):
        raise FramingError("CRC mismatch")
    return Frame(body[0], body[1], bytes(body[2:-2]))


class FrameDecoder:
    """Feeds on stream bytes and returns complete frames; bad frames are counted in `bad_frames`.

    After damage the decoder discards bytes up to the next delimiter, so one bad frame costs at most
    itself and the good frames after it come through unharmed. Memory is bounded: a run of bytes longer
    than any valid frame is dropped while it is still arriving.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._overlong = False
        self.bad_frames = 0
        self.frames = 0

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        start = 0
        while True:
            end = data.find(b"\x00", start)
            if end == -1:
                self._take(data[start:])
                return frames
            self._take(data[start:end])
            start = end + 1
            if self._overlong:
                self.bad_frames += 1
                self._overlong = False
            elif self._buffer:
                try:
                    frames.append(decode_frame(bytes(self._buffer)))
                    self.frames += 1
                except FramingError:
                    self.bad_frames += 1
            self._buffer.clear()

    def _take(self, chunk: bytes) -> None:
        if self._overlong or not chunk:
            return
        if len(self._buffer) + len(chunk) > MAX_ENCODED:
            self._overlong = True
            self._buffer.clear()
            return
        self._buffer += chunk

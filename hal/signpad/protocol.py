"""The signature pad's frame types and payload layouts (docs/protocols/signpad.md), as pure functions.

Builders turn values into payload bytes; parsers turn payload bytes into values and raise ProtocolError
for a payload the protocol does not allow. Nothing here knows about ports, threads or time.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from hal.errors import ProtocolError
from hal.signpad.base import PadInfo

PEN_SAMPLE = struct.Struct("<IHHHB")
INFO_FIXED = struct.Struct("<HHHHHHH")
IMAGE_BEGIN = struct.Struct("<HHBI")
IMAGE_OFFSET = struct.Struct("<I")
BUTTON = struct.Struct("<BI")
HEARTBEAT = struct.Struct("<IB")
MAX_PEN_SAMPLES = 64
IMAGE_CHUNK = 1020
IMAGE_FORMAT_GREY8 = 1


class FrameType(enum.IntEnum):
    """The frame types of the framed serial protocol."""

    PING = 0x01
    GET_INFO = 0x02
    START = 0x03
    STOP = 0x04
    CLEAR = 0x05
    IMAGE_BEGIN = 0x06
    IMAGE_DATA = 0x07
    IMAGE_END = 0x08
    ACK = 0x80
    NAK = 0x81
    INFO = 0x82
    PEN = 0x83
    BUTTON = 0x84
    HEARTBEAT = 0x85


class NakCode(enum.IntEnum):
    """Why the pad refused a command."""

    UNKNOWN_TYPE = 1
    BAD_LENGTH = 2
    BAD_STATE = 3
    BAD_IMAGE = 4
    IMAGE_ORDER = 5
    IMAGE_CRC = 6
    BUSY = 7


# What a technician reads when the pad refuses a command.
NAK_TEXT: dict[NakCode, str] = {
    NakCode.UNKNOWN_TYPE: "the pad does not know this command; its firmware is probably too old",
    NakCode.BAD_LENGTH: "the pad rejected the command's length; driver and firmware disagree",
    NakCode.BAD_STATE: "the pad was not ready for this command; the upload was restarted too late",
    NakCode.BAD_IMAGE: "the pad rejected the screen image's size or format",
    NakCode.IMAGE_ORDER: "the pad received the screen image out of order",
    NakCode.IMAGE_CRC: "the screen image was damaged on the way to the pad",
    NakCode.BUSY: "the pad is busy (screen refresh); try again",
}


@dataclass(frozen=True)
class InfoPayload(PadInfo):
    """INFO's payload: the pad's pen range, rate and screen (PadInfo), and its identity."""

    model: str
    serial: str
    firmware: str


@dataclass(frozen=True)
class RawPenSample:
    """A pen sample as the wire carries it (32-bit device microseconds)."""

    # The pad's 32-bit microsecond clock, as sent (wraps).
    time_us: int
    x: int
    y: int
    pressure: int
    flags: int


@dataclass(frozen=True)
class Nak:
    """A decoded NAK: the refusal code and its text."""

    command: int
    code: int

    @property
    def text(self) -> str:
        try:
            return NAK_TEXT[NakCode(self.code)]
        except ValueError:
            return f"the pad refused the command with unknown error code {self.code}"


def build_info(info: InfoPayload) -> bytes:
    """INFO's payload: the fixed fields, then model, serial and firmware (each cut to 255 bytes)."""
    out = INFO_FIXED.pack(
        info.max_x,
        info.max_y,
        info.max_pressure,
        info.rate_hz,
        info.lpi,
        info.screen_width,
        info.screen_height,
    )
    for text in (info.model, info.serial, info.firmware):
        data = text.encode()[:255]
        out += bytes((len(data),)) + data
    return out


def parse_info(payload: bytes) -> InfoPayload:
    """INFO's payload as the pad's geometry and identity; ProtocolError for an impossible field."""
    if len(payload) < INFO_FIXED.size + 3:
        raise ProtocolError(f"INFO payload of {len(payload)} bytes is too short")
    fixed = INFO_FIXED.unpack_from(payload)
    texts: list[str] = []
    offset = INFO_FIXED.size
    for _ in range(3):
        if offset >= len(payload):
            raise ProtocolError("INFO payload ends before its strings")
        length = payload[offset]
        data = payload[offset + 1 : offset + 1 + length]
        if len(data) != length:
            raise ProtocolError("INFO string runs past the end of the payload")
        texts.append(data.decode("utf-8", errors="replace"))
        offset += 1 + length
    if 0 in (fixed[0], fixed[1], fixed[2], fixed[3]):
        raise ProtocolError("INFO reports a zero coordinate, pressure range or rate")
    max_x, max_y, max_pressure, rate_hz, lpi, screen_width, screen_height = fixed
    return InfoPayload(
        max_x, max_y, max_pressure, rate_hz, lpi, screen_width, screen_height, *texts
    )


def build_pen(samples: list[RawPenSample]) -> bytes:
    """PEN's payload: the samples back to back, times wrapped to 32 bits as the pad sends them."""
    return b"".join(
        PEN_SAMPLE.pack(s.time_us & 0xFFFFFFFF, s.x, s.y, s.pressure, s.flags) for s in samples
    )


def parse_pen(payload: bytes) -> list[RawPenSample]:
    """PEN's payload as its samples (1 to 64 of them)."""
    count, rest = divmod(len(payload), PEN_SAMPLE.size)
    if rest or not 1 <= count <= MAX_PEN_SAMPLES:
        raise ProtocolError(f"PEN payload of {len(payload)} bytes is not 1..64 samples of 11 bytes")
    return [RawPenSample(*fields) for fields in PEN_SAMPLE.iter_unpack(payload)]


def build_ack(command: int) -> bytes:
    """ACK's payload: the command it acknowledges."""
    return bytes((command,))


def parse_ack(payload: bytes) -> int:
    """The command an ACK acknowledges."""
    if len(payload) != 1:
        raise ProtocolError(f"ACK payload of {len(payload)} bytes (expected 1)")
    return payload[0]


def build_nak(command: int, code: NakCode) -> bytes:
    """NAK's payload: the refused command and why."""
    return bytes((command, int(code)))


def parse_nak(payload: bytes) -> Nak:
    """A NAK's refused command and code (unknown codes are kept; `Nak.text` words them)."""
    if len(payload) != 2:
        raise ProtocolError(f"NAK payload of {len(payload)} bytes (expected 2)")
    return Nak(payload[0], payload[1])


def build_button(button: int, time_us: int) -> bytes:
    """BUTTON's payload: which button and when, in the pad's 32-bit microseconds."""
    return BUTTON.pack(button, time_us & 0xFFFFFFFF)


def parse_button(payload: bytes) -> tuple[int, int]:
    """A BUTTON's button and its time in the pad's 32-bit microseconds."""
    if len(payload) != BUTTON.size:
        raise ProtocolError(f"BUTTON payload of {len(payload)} bytes (expected {BUTTON.size})")
    button, time_us = BUTTON.unpack(payload)
    return int(button), int(time_us)


def build_image_begin(width: int, height: int, length: int) -> bytes:
    """IMAGE_BEGIN's payload: the size of the 8-bit grey image the pad is about to receive."""
    return IMAGE_BEGIN.pack(width, height, IMAGE_FORMAT_GREY8, length)


def build_image_data(offset: int, chunk: bytes) -> bytes:
    """IMAGE_DATA's payload: one chunk and its offset in the image."""
    return IMAGE_OFFSET.pack(offset) + chunk


def build_image_end(crc32: int) -> bytes:
    """IMAGE_END's payload: the CRC-32 of the whole image, for the pad to check."""
    return IMAGE_OFFSET.pack(crc32 & 0xFFFFFFFF)


class ClockUnwrapper:
    """Turns the pad's wrapping 32-bit microsecond clock into a monotonic 64-bit one.

    A step backwards by more than half the range is a wrap; smaller steps backwards (never sent by a
    sane pad) are passed through unchanged rather than invented into a wrap.
    """

    def __init__(self) -> None:
        self._last: int | None = None
        self._epoch = 0

    def unwrap(self, raw: int) -> int:
        if self._last is not None and raw < self._last and self._last - raw > 0x80000000:
            self._epoch += 1 << 32
        self._last = raw
        return self._epoch + raw

"""The firmware's side of the KFP1 wire format (docs/protocols/kfp1.md), written from the document.

The daemon has its own codec (hal/fingerprint/protocol.py); keeping two implementations of one document
means a mistake in either shows up as a failing test instead of agreeing with itself. This module must
never import the daemon (kitd, hal).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

MAGIC = 0x464B
VERSION = 1
HEADER = struct.Struct("<HBBHHI")
IMAGE_HEADER = struct.Struct("<4sHIHHHBBI")
IMAGE_TRANSFER = 16384
MAX_COMMAND_PAYLOAD = 64

GET_INFO, SET_LED, GET_STATUS = 0x01, 0x02, 0x03
CAPTURE, ABORT, PREVIEW_START, PREVIEW_STOP, RESET = 0x10, 0x11, 0x12, 0x13, 0x1F
OPCODES = {GET_INFO, SET_LED, GET_STATUS, CAPTURE, ABORT, PREVIEW_START, PREVIEW_STOP, RESET}
FINGER_ON, FINGER_OFF, CAPTURE_DONE, ERROR = 0x81, 0x82, 0x83, 0x84
OK, BUSY, BAD_REQUEST, UNKNOWN_OPCODE, BAD_VERSION, TIMEOUT, ABORTED, SENSOR_FAULT = range(8)
FINAL, PREVIEW = 1, 2
PAYLOAD_SIZES = {GET_INFO: 0, SET_LED: 1, GET_STATUS: 0, CAPTURE: 6, ABORT: 0}


@dataclass(frozen=True)
class Command:
    """A KFP1 command as the simulated reader received it."""

    opcode: int
    tag: int
    payload: bytes


class BadCommand(Exception):
    """A command transfer the firmware must refuse; `status` goes back in the response if a tag is known."""

    def __init__(self, status: int, opcode: int = 0, tag: int = 0) -> None:
        super().__init__(status)
        self.status = status
        self.opcode = opcode
        self.tag = tag


def parse_command(data: bytes) -> Command:
    """A bulk OUT transfer as a command; BadCommand with the status to answer when it is not one."""
    if len(data) < HEADER.size:
        raise BadCommand(BAD_REQUEST)
    magic, version, opcode, tag, _status, length = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise BadCommand(BAD_REQUEST)
    if version != VERSION:
        raise BadCommand(BAD_VERSION, opcode, tag)
    if length > MAX_COMMAND_PAYLOAD or len(data) != HEADER.size + length:
        raise BadCommand(BAD_REQUEST, opcode, tag)
    if opcode not in OPCODES:
        raise BadCommand(UNKNOWN_OPCODE, opcode, tag)
    payload = bytes(data[HEADER.size :])
    if len(payload) != PAYLOAD_SIZES.get(opcode, 0):
        raise BadCommand(BAD_REQUEST, opcode, tag)
    return Command(opcode, tag, payload)


def message(opcode: int, tag: int, status: int, payload: bytes = b"") -> bytes:
    """A response or event transfer: the KFP1 header, then the payload."""
    return HEADER.pack(MAGIC, VERSION, opcode, tag, status, len(payload)) + payload


def image_transfers(
    tag: int, frame_id: int, pixels: bytes, *, width: int, height: int, ppi: int, kind: int
) -> list[bytes]:
    """An image as the firmware sends it on bulk IN 0x82: header, pixels, CRC-32, in transfers."""
    head = IMAGE_HEADER.pack(b"KFPI", tag, frame_id, width, height, ppi, 8, kind, len(pixels))
    body = head + pixels
    stream = body + struct.pack("<I", zlib.crc32(body))
    return [stream[i : i + IMAGE_TRANSFER] for i in range(0, len(stream), IMAGE_TRANSFER)]


def info_payload(
    vid: int,
    pid: int,
    *,
    size: tuple[int, int],
    ppi: int,
    decimation: int,
    strings: tuple[str, str, str, str],
) -> bytes:
    """GET_INFO's payload: the sensor's ids and geometry, then its four identity strings."""
    out = struct.pack("<HHHHHBB", vid, pid, size[0], size[1], ppi, 8, decimation)
    for text in strings:
        raw = text.encode()[:255]
        out += bytes([len(raw)]) + raw
    return out

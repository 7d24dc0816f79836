"""The KFP1 wire format (docs/protocols/kfp1.md): headers, commands, responses, events and image framing.

Pure bytes in, values out. Every parser raises ProtocolError (or its ImageCorrupt subclass) on anything the
protocol does not allow and nothing else, whatever the input. This module must never touch USB, threads
or time: the driver (driver.py) does that.
"""

from __future__ import annotations

import enum
import struct
import zlib
from dataclasses import dataclass
from typing import TypeVar

from hal.errors import ProtocolError

MAGIC = 0x464B
VERSION = 1
HEADER = struct.Struct("<HBBHHI")
MAX_COMMAND_PAYLOAD = 64
MAX_RESPONSE_PAYLOAD = 1024
MAX_EVENT_SIZE = 64

IMAGE_MAGIC = b"KFPI"
IMAGE_HEADER = struct.Struct("<4sHIHHHBBI")
IMAGE_CRC = struct.Struct("<I")
IMAGE_TRANSFER_SIZE = 16384
MAX_IMAGE_SIDE = 2048

EP_COMMAND = 0x01
EP_RESPONSE = 0x81
EP_IMAGE = 0x82
EP_EVENT = 0x83

CAPTURE_FLAG_PREVIEW = 0x01

_E = TypeVar("_E", bound=enum.IntEnum)

_INFO_FIXED = struct.Struct("<HHHHHBB")
_STATUS = struct.Struct("<BBBBI")
_CAPTURE = struct.Struct("<IBB")
_CAPTURE_DONE = struct.Struct("<IB")


class Opcode(enum.IntEnum):
    """The KFP1 command opcodes."""

    GET_INFO = 0x01
    SET_LED = 0x02
    GET_STATUS = 0x03
    CAPTURE = 0x10
    ABORT = 0x11
    PREVIEW_START = 0x12
    PREVIEW_STOP = 0x13
    RESET = 0x1F


class EventCode(enum.IntEnum):
    """The KFP1 event codes of the interrupt endpoint."""

    FINGER_ON = 0x81
    FINGER_OFF = 0x82
    CAPTURE_DONE = 0x83
    ERROR = 0x84


class Status(enum.IntEnum):
    """The KFP1 status codes of responses and events."""

    OK = 0
    BUSY = 1
    BAD_REQUEST = 2
    UNKNOWN_OPCODE = 3
    BAD_VERSION = 4
    TIMEOUT = 5
    ABORTED = 6
    SENSOR_FAULT = 7


class ImageKindCode(enum.IntEnum):
    """The KFP1 image kinds: preview or final."""

    FINAL = 1
    PREVIEW = 2


class SensorState(enum.IntEnum):
    """The sensor's state as GET_STATUS reports it."""

    IDLE = 0
    CAPTURING = 1
    PREVIEW = 2


class ImageCorrupt(ProtocolError):
    """An image whose CRC does not match: damaged on the way, never to be used."""

    def __init__(self, message: str, *, tag: int, kind: ImageKindCode, frame_id: int) -> None:
        super().__init__(message)
        self.tag = tag
        self.kind = kind
        self.frame_id = frame_id


@dataclass(frozen=True)
class Header:
    """The 12-byte KFP1 header of every command, response and event."""

    opcode: int
    tag: int
    status: int
    length: int


@dataclass(frozen=True)
class Response:
    """A decoded KFP1 response: opcode, tag, status and payload."""

    opcode: Opcode
    tag: int
    status: Status
    payload: bytes


@dataclass(frozen=True)
class Event:
    """A decoded KFP1 event: code, tag and status."""

    code: EventCode
    tag: int
    status: Status
    # FINGER_ON: contact %, CAPTURE_DONE: device quality; 0 otherwise.
    value: int = 0
    frame_id: int = 0


@dataclass(frozen=True)
class InfoPayload:
    """GET_INFO's payload: identity, USB ids and the sensor's geometry."""

    vendor_id: int
    product_id: int
    width: int
    height: int
    ppi: int
    bpp: int
    preview_decimation: int
    vendor: str
    model: str
    serial: str
    firmware: str


@dataclass(frozen=True)
class StatusPayload:
    """GET_STATUS's payload: sensor state, finger, LED, quality and frames."""

    state: SensorState
    finger_present: bool
    led_on: bool
    # 0..100, or None before the first scored frame.
    last_quality: int | None
    frames: int


@dataclass(frozen=True)
class ImageHeader:
    """The header of a KFP1 image: frame id, size, resolution, kind and tag."""

    tag: int
    frame_id: int
    width: int
    height: int
    ppi: int
    bpp: int
    kind: ImageKindCode
    length: int

    @property
    def total_size(self) -> int:
        """Bytes of header + pixels + CRC on the wire."""
        return IMAGE_HEADER.size + self.length + IMAGE_CRC.size


@dataclass(frozen=True)
class RawImage:
    """A whole KFP1 image, CRC checked: its header and pixels."""

    header: ImageHeader
    pixels: bytes


# -- headers --------------------------------------------------------------------------------------------


def encode_header(opcode: int, tag: int, status: int, payload: bytes) -> bytes:
    """One KFP1 transfer: the 12-byte header announcing `payload`, then the payload."""
    return HEADER.pack(MAGIC, VERSION, opcode, tag, status, len(payload)) + payload


def decode_header(data: bytes, max_payload: int) -> tuple[Header, bytes]:
    """Checks magic, version and length of one transfer; returns the header and its payload."""
    if len(data) < HEADER.size:
        raise ProtocolError(
            f"KFP1 transfer of {len(data)} bytes is shorter than the 12-byte header"
        )
    magic, version, opcode, tag, status, length = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ProtocolError(f"KFP1 bad magic 0x{magic:04x} (expected 0x{MAGIC:04x})")
    if version != VERSION:
        raise ProtocolError(
            f"KFP1 protocol version {version} is not supported (expected {VERSION})"
        )
    if length > max_payload:
        raise ProtocolError(f"KFP1 payload of {length} bytes exceeds the limit of {max_payload}")
    if len(data) != HEADER.size + length:
        raise ProtocolError(
            f"KFP1 transfer is {len(data)} bytes but its header announces {HEADER.size + length}"
        )
    return Header(opcode, tag, status, length), bytes(data[HEADER.size :])


def _enum(cls: type[_E], value: int, what: str) -> _E:
    try:
        return cls(value)
    except ValueError:
        raise ProtocolError(f"KFP1 unknown {what} 0x{value:02x}") from None


# -- commands -------------------------------------------------------------------------------------------


def encode_command(opcode: Opcode, tag: int, payload: bytes = b"") -> bytes:
    """A command transfer for bulk OUT; ValueError for a tag or payload KFP1 cannot carry."""
    if not 1 <= tag <= 0xFFFF:
        raise ValueError(f"tag {tag} out of range 1..65535")
    if len(payload) > MAX_COMMAND_PAYLOAD:
        raise ValueError(f"command payload of {len(payload)} bytes exceeds {MAX_COMMAND_PAYLOAD}")
    return encode_header(opcode, tag, Status.OK, payload)


def capture_payload(timeout_ms: int, threshold: int, *, preview: bool) -> bytes:
    """CAPTURE's payload, with the timeout and threshold clamped to what the firmware accepts."""
    timeout_ms = max(1, min(600_000, timeout_ms))
    threshold = max(0, min(100, threshold))
    return _CAPTURE.pack(timeout_ms, threshold, CAPTURE_FLAG_PREVIEW if preview else 0)


def led_payload(*, on: bool) -> bytes:
    """SET_LED's payload: one byte, 1 for on."""
    return bytes([1 if on else 0])


# -- responses ------------------------------------------------------------------------------------------


def decode_response(data: bytes) -> Response:
    """A bulk IN 0x81 transfer as a response; ProtocolError for what KFP1 does not define."""
    header, payload = decode_header(data, MAX_RESPONSE_PAYLOAD)
    return Response(
        opcode=_enum(Opcode, header.opcode, "response opcode"),
        tag=header.tag,
        status=_enum(Status, header.status, "status"),
        payload=payload,
    )


def _take_string(payload: bytes, offset: int) -> tuple[str, int]:
    if offset >= len(payload):
        raise ProtocolError("KFP1 GET_INFO payload ends before its strings")
    size = payload[offset]
    end = offset + 1 + size
    if end > len(payload):
        raise ProtocolError("KFP1 GET_INFO string runs past the end of the payload")
    try:
        return payload[offset + 1 : end].decode("utf-8"), end
    except UnicodeDecodeError:
        raise ProtocolError("KFP1 GET_INFO string is not UTF-8") from None


def decode_info(payload: bytes) -> InfoPayload:
    """GET_INFO's payload: the sensor's geometry and its four identity strings, each checked."""
    if len(payload) < _INFO_FIXED.size:
        raise ProtocolError(f"KFP1 GET_INFO payload of {len(payload)} bytes is too short")
    vid, pid, width, height, ppi, bpp, decimation = _INFO_FIXED.unpack_from(payload)
    if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE and ppi > 0):
        raise ProtocolError(f"KFP1 GET_INFO reports an impossible sensor {width}x{height}@{ppi}")
    if bpp != 8 or decimation < 1:
        raise ProtocolError(f"KFP1 GET_INFO reports bpp={bpp}, decimation={decimation}")
    offset = _INFO_FIXED.size
    strings: list[str] = []
    for _ in range(4):
        text, offset = _take_string(payload, offset)
        strings.append(text)
    if offset != len(payload):
        raise ProtocolError("KFP1 GET_INFO payload has trailing bytes")
    vendor, model, serial, firmware = strings
    return InfoPayload(
        vid, pid, width, height, ppi, bpp, decimation, vendor, model, serial, firmware
    )


def decode_status(payload: bytes) -> StatusPayload:
    """GET_STATUS's payload; a quality of 255 means the sensor has measured none yet."""
    if len(payload) != _STATUS.size:
        raise ProtocolError(f"KFP1 GET_STATUS payload is {len(payload)} bytes, expected 8")
    state, finger, led, quality, frames = _STATUS.unpack(payload)
    return StatusPayload(
        state=_enum(SensorState, state, "sensor state"),
        finger_present=bool(finger),
        led_on=bool(led),
        last_quality=None if quality == 255 else min(quality, 100),
        frames=frames,
    )


# -- events ---------------------------------------------------------------------------------------------


def decode_event(data: bytes) -> Event:
    """An interrupt IN 0x83 transfer as an event, with the payload its code requires."""
    if len(data) > MAX_EVENT_SIZE:
        raise ProtocolError(f"KFP1 event of {len(data)} bytes exceeds {MAX_EVENT_SIZE}")
    header, payload = decode_header(data, MAX_EVENT_SIZE - HEADER.size)
    code = _enum(EventCode, header.opcode, "event code")
    status = _enum(Status, header.status, "status")
    if code is EventCode.FINGER_ON:
        if len(payload) != 1:
            raise ProtocolError("KFP1 FINGER_ON event must carry one byte of contact area")
        return Event(code, header.tag, status, value=min(payload[0], 100))
    if code is EventCode.CAPTURE_DONE:
        if len(payload) != _CAPTURE_DONE.size:
            raise ProtocolError("KFP1 CAPTURE_DONE event must carry frame id and quality")
        frame_id, quality = _CAPTURE_DONE.unpack(payload)
        return Event(code, header.tag, status, value=min(quality, 100), frame_id=frame_id)
    if payload:
        raise ProtocolError(f"KFP1 {code.name} event must have no payload")
    return Event(code, header.tag, status)


# -- images ---------------------------------------------------------------------------------------------


def decode_image_header(data: bytes) -> ImageHeader:
    """The header that opens an image on bulk IN 0x82, checked against the sizes KFP1 allows."""
    if len(data) < IMAGE_HEADER.size:
        raise ProtocolError(f"KFP1 image transfer of {len(data)} bytes is shorter than its header")
    magic, tag, frame_id, width, height, ppi, bpp, kind, length = IMAGE_HEADER.unpack_from(data)
    if magic != IMAGE_MAGIC:
        raise ProtocolError("KFP1 image transfer does not start with 'KFPI' (out of step)")
    if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
        raise ProtocolError(f"KFP1 image size {width}x{height} is out of range")
    if bpp != 8:
        raise ProtocolError(f"KFP1 image has {bpp} bits per pixel; only 8 is defined")
    if length != width * height:
        raise ProtocolError(f"KFP1 image length {length} does not match {width}x{height}")
    if ppi == 0:
        raise ProtocolError("KFP1 image reports 0 ppi")
    return ImageHeader(
        tag, frame_id, width, height, ppi, bpp, _enum(ImageKindCode, kind, "image kind"), length
    )


def encode_image(header: ImageHeader, pixels: bytes) -> list[bytes]:
    """The transfers that carry one image (used by tests; the firmware has its own encoder)."""
    head = IMAGE_HEADER.pack(
        IMAGE_MAGIC,
        header.tag,
        header.frame_id,
        header.width,
        header.height,
        header.ppi,
        header.bpp,
        header.kind,
        header.length,
    )
    body = head + pixels
    stream = body + IMAGE_CRC.pack(zlib.crc32(body))
    return [stream[i : i + IMAGE_TRANSFER_SIZE] for i in range(0, len(stream), IMAGE_TRANSFER_SIZE)]


class ImageAssembler:
    """Puts images back together from 0x82 transfers, one transfer at a time.

    `feed` returns a RawImage when a transfer completes one; raises ProtocolError for a transfer that
    cannot start an image (the assembler then waits for the next one that does) and ImageCorrupt for a
    complete image whose CRC does not match.
    """

    def __init__(self) -> None:
        self._header: ImageHeader | None = None
        self._parts: list[bytes] = []
        self._received = 0

    @property
    def in_progress(self) -> bool:
        return self._header is not None

    def reset(self) -> None:
        self._header = None
        self._parts = []
        self._received = 0

    def feed(self, transfer: bytes) -> RawImage | None:
        if len(transfer) > IMAGE_TRANSFER_SIZE:
            self.reset()
            raise ProtocolError(
                f"KFP1 image transfer of {len(transfer)} bytes exceeds {IMAGE_TRANSFER_SIZE}"
            )
        if self._header is None:
            header = decode_image_header(transfer)
            self._header = header
            self._parts = []
            self._received = 0
        header = self._header
        self._parts.append(bytes(transfer))
        self._received += len(transfer)
        expected = header.total_size
        if self._received < expected:
            if len(transfer) < IMAGE_TRANSFER_SIZE:
                self.reset()
                raise ProtocolError(
                    "KFP1 image stream ended early (short transfer before the image was complete)"
                )
            return None
        parts, received = self._parts, self._received
        self.reset()
        if received != expected:
            raise ProtocolError(f"KFP1 image stream is longer than the {expected} bytes announced")
        stream = b"".join(parts)
        body, crc = stream[:-4], IMAGE_CRC.unpack(stream[-4:])[0]
        if zlib.crc32(body) != crc:
            raise ImageCorrupt(
                f"KFP1 image {header.frame_id} failed its CRC check (damaged in transfer)",
                tag=header.tag,
                kind=header.kind,
                frame_id=header.frame_id,
            )
        return RawImage(header, body[IMAGE_HEADER.size :])

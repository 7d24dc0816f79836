r"""ISO/IEC 19794-4 (2005) finger image record: encoder and decoder.

Layout (all integers big-endian, as the 19794 family requires):

    general header (32 bytes)
        format identifier "FIR\0", version "010\0", record length u48, capture device id u16,
        image acquisition level u16, number of fingers/palms u8, scale units u8 (1 = pixels per inch),
        horizontal / vertical scan resolution u16 u16, horizontal / vertical image resolution u16 u16,
        pixel depth u8 (bits), image compression algorithm u8, reserved u16
    per view: finger image header (14 bytes) then the image data
        length of the finger data block u32 (header + image), finger position u8, count of views u8,
        view number u8, finger image quality u8, impression type u8, horizontal line length u16,
        vertical line length u16, reserved u8

Scan resolution, pixel depth and compression belong to the record, so every view in one record must agree
on them. The 2005 format keeps one quality byte per view (0..100, 255 = not reported) and has no field for
the quality algorithm's vendor or id - that came with the 2011 quality blocks - so kitd names its
algorithm in the package manifest instead. Views of one finger position are numbered 1..n in the order
given. Pure bytes: nothing here reads files or devices, and image data is carried, not decoded (WSQ
lives in kitd/records/wsq.py).
"""

from __future__ import annotations

import enum
import struct
from collections import Counter
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

FORMAT_ID = b"FIR\x00"
VERSION = b"010\x00"
GENERAL_HEADER_SIZE = 32
VIEW_HEADER = struct.Struct(">IBBBBBHHB")
SCALE_PPI = 1
SCALE_PPCM = 2
QUALITY_NOT_REPORTED = 255
# Image acquisition levels (ISO/IEC 19794-4 table 1): 31 = 500 ppi, 8 bits, 256 grey levels.
ACQUISITION_LEVELS = {500: 31, 1000: 41, 250: 20, 125: 10}
MAX_RECORD = (1 << 48) - 1

_E = TypeVar("_E", bound=enum.IntEnum)


class Compression(enum.IntEnum):
    """An ISO/IEC 19794-4 image's compression algorithm code."""

    UNCOMPRESSED = 0
    UNCOMPRESSED_BIT_PACKED = 1
    WSQ = 2
    JPEG = 3
    JPEG2000 = 4
    PNG = 5


class ImpressionType(enum.IntEnum):
    """An ISO/IEC 19794-4 impression type code."""

    LIVE_SCAN_PLAIN = 0
    LIVE_SCAN_ROLLED = 1
    NONLIVE_SCAN_PLAIN = 2
    NONLIVE_SCAN_ROLLED = 3
    LIVE_SCAN_SWIPE = 8


class IsoRecordError(ValueError):
    """Bytes that are not a well-formed ISO/IEC 19794-4:2005 record, or views that cannot be one."""


@dataclass(frozen=True)
class FingerView:
    """One finger's image as an ISO/IEC 19794-4 record holds it."""

    # ISO finger position: 0 unknown, 1 right thumb .. 5 right little, 6 left thumb .. 10 left little.
    position: int
    width: int
    height: int
    data: bytes
    compression: Compression = Compression.WSQ
    quality: int = QUALITY_NOT_REPORTED
    impression: ImpressionType = ImpressionType.LIVE_SCAN_PLAIN
    ppi: int = 500
    pixel_depth: int = 8
    view_number: int = 1
    view_count: int = 1
    capture_device_id: int = 0

    @classmethod
    def from_pixels(
        cls,
        position: int,
        pixels: NDArray[np.uint8],
        *,
        quality: int = QUALITY_NOT_REPORTED,
        ppi: int = 500,
    ) -> FingerView:
        """An uncompressed 8-bit view of a grey image (height x width)."""
        if pixels.ndim != 2 or pixels.dtype != np.uint8:
            raise IsoRecordError(f"expected a 2-D uint8 image, got {pixels.ndim}-D {pixels.dtype}")
        height, width = pixels.shape
        return cls(
            position,
            int(width),
            int(height),
            np.ascontiguousarray(pixels).tobytes(),
            Compression.UNCOMPRESSED,
            quality,
            ppi=ppi,
        )

    def pixels(self) -> NDArray[np.uint8]:
        """The image of an uncompressed 8-bit view."""
        if self.compression is not Compression.UNCOMPRESSED or self.pixel_depth != 8:
            raise IsoRecordError(f"view holds {self.compression.name} data, not raw 8-bit pixels")
        return np.frombuffer(self.data, np.uint8).reshape(self.height, self.width).copy()


def _check_view(view: FingerView) -> None:
    if not 0 <= view.position <= 255:
        raise IsoRecordError(f"finger position {view.position} is out of range")
    if not (0 <= view.quality <= 100 or view.quality == QUALITY_NOT_REPORTED):
        raise IsoRecordError(f"quality {view.quality} must be 0..100 or 255 (not reported)")
    if not (0 < view.width <= 0xFFFF and 0 < view.height <= 0xFFFF):
        raise IsoRecordError(f"image size {view.width}x{view.height} is out of range")
    if not 0 < view.ppi <= 0xFFFF:
        raise IsoRecordError(f"resolution {view.ppi} ppi is out of range")
    if not 1 <= view.pixel_depth <= 16:
        raise IsoRecordError(f"pixel depth {view.pixel_depth} is out of range")
    if view.compression is Compression.UNCOMPRESSED:
        expected = view.width * view.height * ((view.pixel_depth + 7) // 8)
        if len(view.data) != expected:
            raise IsoRecordError(
                f"uncompressed {view.width}x{view.height} view needs {expected} bytes, "
                f"has {len(view.data)}"
            )
    elif not view.data:
        raise IsoRecordError("a view carries no image data")


def encode_iso19794_4(views: list[FingerView]) -> bytes:
    """One 19794-4:2005 finger image record of `views`, which share resolution and device."""
    if not views:
        raise IsoRecordError("a finger image record holds at least one view")
    if len(views) > 255:
        raise IsoRecordError(f"{len(views)} views do not fit one record (at most 255)")
    first = views[0]
    for view in views:
        _check_view(view)
        shared = (view.ppi, view.pixel_depth, view.compression, view.capture_device_id)
        if shared != (first.ppi, first.pixel_depth, first.compression, first.capture_device_id):
            raise IsoRecordError(
                "all views of one record must share resolution, pixel depth, compression and device"
            )
    counts = Counter(view.position for view in views)
    seen: Counter[int] = Counter()
    blocks = []
    for view in views:
        seen[view.position] += 1
        header = VIEW_HEADER.pack(
            VIEW_HEADER.size + len(view.data),
            view.position,
            counts[view.position],
            seen[view.position],
            view.quality,
            view.impression,
            view.width,
            view.height,
            0,
        )
        blocks.append(header + view.data)
    body = b"".join(blocks)
    length = GENERAL_HEADER_SIZE + len(body)
    if length > MAX_RECORD:
        raise IsoRecordError("record is too large")
    general = (
        FORMAT_ID
        + VERSION
        + length.to_bytes(6, "big")
        + struct.pack(
            ">HHBBHHHHBBH",
            first.capture_device_id,
            ACQUISITION_LEVELS.get(first.ppi, 0),
            len(views),
            SCALE_PPI,
            first.ppi,
            first.ppi,
            first.ppi,
            first.ppi,
            first.pixel_depth,
            first.compression,
            0,
        )
    )
    return general + body


def _enum_value(cls: type[_E], value: int, what: str) -> _E:
    try:
        return cls(value)
    except ValueError:
        raise IsoRecordError(f"unknown {what} {value}") from None


@dataclass(frozen=True)
class _SharedByViews:
    """What the general header says of every view: device, resolution, depth, compression."""

    device_id: int
    count: int
    ppi: int
    pixel_depth: int
    compression: Compression


def decode_iso19794_4(data: bytes) -> list[FingerView]:
    """The views of a 19794-4:2005 finger image record; anything malformed is an IsoRecordError."""
    data = bytes(data)
    shared = _decode_general_header(data)
    views: list[FingerView] = []
    offset = GENERAL_HEADER_SIZE
    for index in range(shared.count):
        view, block = _decode_view(data, offset, index, shared)
        views.append(view)
        offset += block
    if offset != len(data):
        raise IsoRecordError(f"{len(data) - offset} bytes follow the last view")
    return views


def _decode_general_header(data: bytes) -> _SharedByViews:
    if len(data) < GENERAL_HEADER_SIZE:
        raise IsoRecordError(f"{len(data)} bytes are too short for a finger image record")
    if data[:4] != FORMAT_ID:
        raise IsoRecordError("not a finger image record (format identifier is not 'FIR\\0')")
    if data[4:8] != VERSION:
        raise IsoRecordError(f"unsupported version {data[4:8]!r} (expected '010\\0')")
    length = int.from_bytes(data[8:14], "big")
    if length != len(data):
        raise IsoRecordError(f"record length field says {length} bytes, record has {len(data)}")
    (
        device_id,
        _level,
        count,
        scale,
        h_scan,
        v_scan,
        h_image,
        v_image,
        depth,
        compression_code,
        _reserved,
    ) = struct.unpack_from(">HHBBHHHHBBH", data, 14)
    if scale not in (SCALE_PPI, SCALE_PPCM):
        raise IsoRecordError(f"unknown scale units {scale}")
    if h_image != v_image or h_scan != v_scan:
        raise IsoRecordError("non-square pixels are not supported")
    ppi = h_image if scale == SCALE_PPI else round(h_image * 2.54)
    compression = _enum_value(Compression, compression_code, "image compression algorithm")
    return _SharedByViews(device_id, count, ppi, depth, compression)


def _decode_view(
    data: bytes, offset: int, index: int, shared: _SharedByViews
) -> tuple[FingerView, int]:
    """The view at `offset` (number `index`) and the length of its block."""
    if offset + VIEW_HEADER.size > len(data):
        raise IsoRecordError(f"view {index + 1} of {shared.count} is missing")
    block, position, view_count, view_number, quality, impression, width, height, _r = (
        VIEW_HEADER.unpack_from(data, offset)
    )
    if block < VIEW_HEADER.size or offset + block > len(data):
        raise IsoRecordError(f"view {index + 1} has a bad block length {block}")
    view = FingerView(
        position=position,
        width=width,
        height=height,
        data=data[offset + VIEW_HEADER.size : offset + block],
        compression=shared.compression,
        quality=quality,
        impression=_enum_value(ImpressionType, impression, "impression type"),
        ppi=shared.ppi,
        pixel_depth=shared.pixel_depth,
        view_number=view_number,
        view_count=view_count,
        capture_device_id=shared.device_id,
    )
    _check_view(view)
    return view, block

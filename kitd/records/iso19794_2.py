r"""ISO/IEC 19794-2:2005 finger minutiae data: the record format and the card compact-size format.

Record format (all integers big-endian):

    general header (24 bytes)
        format identifier "FMR\0", version " 20\0", record length u32, capture equipment
        certification (4 bits) and capture device type (12 bits) u16, image width u16, image height u16,
        horizontal / vertical resolution u16 u16 (pixels per centimetre), number of finger views u8,
        reserved u8
    per view: finger view header (4 bytes)
        finger position u8, view number (4 bits) and impression type (4 bits) u8, finger quality u8
        (0..100), number of minutiae u8
    then 6 bytes per minutia
        type (2 bits: 01 ridge ending, 10 bifurcation, 00 other) and x (14 bits), reserved (2 bits) and
        y (14 bits), angle u8 (units of 360/256 degrees, counter-clockwise from the x axis), quality u8
    then the extended data block length u16 and that many bytes: extended data areas, each a type code
        u16, a data length u16 and that many bytes. kitd writes one area when the template carries its
        ridge flow, of the vendor-defined type RIDGE_FLOW_TYPE (0x4B01; ISO reserves the codes whose low
        byte is 0 and 0x0001-0x00FF): block size u8 (px), rows u16, columns u16, then rows x columns
        directions u8 (units of pi/256, counter-clockwise with y up) and rows x columns coherences u8
        (1..100 on the finger, 0 off it), both row after row (kitd/matching/ridge_flow.py). Reading
        skips the areas of other types.

Card compact-size format (for match-on-card and small downloads; no header, the card's biometric
information template carries the rest): 3 bytes per minutia, x u8 and y u8 in units of 0.1 mm, then
type (2 bits) and angle (6 bits, units of 360/64 degrees).

Positions are pixels from the top-left corner of the image, y downwards. Pure bytes: nothing here reads
files or devices.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from kitd.matching.ridge_flow import RidgeFlow
from kitd.matching.template import MinutiaKind, Template

FORMAT_ID = b"FMR\x00"
VERSION = b" 20\x00"
GENERAL_HEADER = struct.Struct(">4s4sIHHHHHBB")
VIEW_HEADER = struct.Struct(">BBBB")
MINUTIA = struct.Struct(">HHBB")
EXTENDED_AREA = struct.Struct(">HH")
FLOW_HEADER = struct.Struct(">BHH")
RIDGE_FLOW_TYPE = 0x4B01
_MAX_EXTENDED = 0xFFFF
COMPACT_MINUTIA_SIZE = 3
MAX_MINUTIAE = 255
_COORDINATE_MAX = (1 << 14) - 1
_ANGLE_UNIT = 2 * np.pi / 256
_COMPACT_ANGLE_UNIT = 2 * np.pi / 64
_MM_PER_INCH = 25.4


class MinutiaeRecordError(ValueError):
    """Bytes that are not well-formed ISO/IEC 19794-2:2005 minutiae data, or a template that cannot be."""


@dataclass(frozen=True)
class MinutiaeView:
    """One finger's minutiae as an ISO/IEC 19794-2 record holds them."""

    # ISO finger position: 0 unknown, 1 right thumb .. 10 left little.
    position: int
    template: Template
    view_number: int = 0
    # ISO/IEC 19794-2 impression types: 0 live-scan plain, 1 live-scan rolled, ...
    impression: int = 0


def _pixels_per_cm(ppi: int) -> int:
    return round(ppi / 2.54)


def _ppi(pixels_per_cm: int) -> int:
    return round(pixels_per_cm * 2.54)


def _check_template(template: Template) -> None:
    if template.count > MAX_MINUTIAE:
        raise MinutiaeRecordError(f"{template.count} minutiae do not fit a view (at most 255)")
    if not (0 < template.width <= 0xFFFF and 0 < template.height <= 0xFFFF):
        raise MinutiaeRecordError(f"image size {template.width}x{template.height} is out of range")
    if not 0 < template.ppi <= 0xFFFF:
        raise MinutiaeRecordError(f"resolution {template.ppi} ppi is out of range")
    if not 0 <= template.finger_quality <= 100:
        raise MinutiaeRecordError(f"finger quality {template.finger_quality} is not 0..100")
    if template.count and (
        template.x.min() < 0
        or template.y.min() < 0
        or template.x.max() > _COORDINATE_MAX
        or template.y.max() > _COORDINATE_MAX
    ):
        raise MinutiaeRecordError("a minutia lies outside the 14-bit coordinate range")
    if template.count and int(template.quality.max()) > 100:
        raise MinutiaeRecordError("minutia quality must be 0..100")


def _minutiae_bytes(template: Template) -> bytes:
    x = np.rint(template.x).astype(int)
    y = np.rint(template.y).astype(int)
    angle = np.rint(np.mod(template.angle, 2 * np.pi) / _ANGLE_UNIT).astype(int) % 256
    return b"".join(
        MINUTIA.pack((int(k) & 3) << 14 | int(px), int(py), int(a), int(q))
        for px, py, a, k, q in zip(x, y, angle, template.kind, template.quality, strict=True)
    )


def _extended_data(template: Template) -> bytes:
    """The view's extended data: the ridge flow area, or nothing without a flow or when it would not
    fit (a capture beyond about 1,400 x 1,400 px: the comparison then uses the minutiae alone).
    """
    flow = template.flow
    if flow is None:
        return b""
    rows, columns = flow.direction.shape
    data = (
        FLOW_HEADER.pack(flow.block, rows, columns)
        + flow.direction.tobytes()
        + flow.coherence.tobytes()
    )
    if EXTENDED_AREA.size + len(data) > _MAX_EXTENDED or flow.block > 0xFF:
        return b""
    return EXTENDED_AREA.pack(RIDGE_FLOW_TYPE, len(data)) + data


def _read_extended(data: bytes, view: int, size: tuple[int, int]) -> RidgeFlow | None:
    """The ridge flow among a view's extended data areas, if one is there; `size` is the image's
    width and height, which the flow's grid must not exceed.
    """
    offset, flow = 0, None
    while offset < len(data):
        if offset + EXTENDED_AREA.size > len(data):
            raise MinutiaeRecordError(f"view {view + 1}: an extended data area is cut short")
        kind, length = EXTENDED_AREA.unpack_from(data, offset)
        start = offset + EXTENDED_AREA.size
        offset = start + length
        if offset > len(data):
            raise MinutiaeRecordError(
                f"view {view + 1}: extended data area length {length} overruns"
            )
        if kind == RIDGE_FLOW_TYPE:
            flow = _read_flow(data[start:offset], view, size)
    return flow


def _read_flow(data: bytes, view: int, size: tuple[int, int]) -> RidgeFlow:
    if len(data) < FLOW_HEADER.size:
        raise MinutiaeRecordError(f"view {view + 1}: the ridge flow area is cut short")
    block, rows, columns = FLOW_HEADER.unpack_from(data)
    cells = rows * columns
    if block == 0 or len(data) != FLOW_HEADER.size + 2 * cells:
        raise MinutiaeRecordError(
            f"view {view + 1}: a ridge flow of {rows} x {columns} blocks of {block} px "
            f"does not fit its {len(data)} bytes"
        )
    width, height = size
    if rows * block > height or columns * block > width:
        raise MinutiaeRecordError(f"view {view + 1}: the ridge flow is larger than the image")
    grid = np.frombuffer(data, np.uint8, 2 * cells, FLOW_HEADER.size).reshape(2, rows, columns)
    if cells and int(grid[1].max()) > 100:
        raise MinutiaeRecordError(f"view {view + 1}: a ridge flow coherence is above 100")
    return RidgeFlow(block, grid[0].copy(), grid[1].copy())


def encode_iso19794_2(views: list[MinutiaeView], capture_device_type: int = 0) -> bytes:
    """A finger minutiae record; every view must share the image size and resolution."""
    if not views:
        raise MinutiaeRecordError("a minutiae record holds at least one view")
    if len(views) > 255:
        raise MinutiaeRecordError(f"{len(views)} views do not fit one record (at most 255)")
    first = views[0].template
    blocks = []
    for view in views:
        t = view.template
        _check_template(t)
        if (t.width, t.height, t.ppi) != (first.width, first.height, first.ppi):
            raise MinutiaeRecordError(
                "all views of one record must share image size and resolution"
            )
        if not 0 <= view.position <= 10:
            raise MinutiaeRecordError(f"finger position {view.position} is not 0..10")
        if not (0 <= view.view_number <= 15 and 0 <= view.impression <= 15):
            raise MinutiaeRecordError("view number and impression type are 4-bit fields")
        header = VIEW_HEADER.pack(
            view.position, view.view_number << 4 | view.impression, t.finger_quality, t.count
        )
        extended = _extended_data(t)
        blocks.append(header + _minutiae_bytes(t) + len(extended).to_bytes(2, "big") + extended)
    if not 0 <= capture_device_type <= 0xFFF:
        raise MinutiaeRecordError("the capture device type is a 12-bit field")
    body = b"".join(blocks)
    resolution = _pixels_per_cm(first.ppi)
    general = GENERAL_HEADER.pack(
        FORMAT_ID,
        VERSION,
        GENERAL_HEADER.size + len(body),
        capture_device_type,
        first.width,
        first.height,
        resolution,
        resolution,
        len(views),
        0,
    )
    return general + body


def decode_iso19794_2(data: bytes) -> list[MinutiaeView]:
    """The views of a 19794-2:2005 minutiae record; anything malformed is a MinutiaeRecordError."""
    data = bytes(data)
    width, height, ppi, count = _decode_general_header(data)
    offset = GENERAL_HEADER.size
    views = []
    for index in range(count):
        view, offset = _decode_view(data, offset, index, count, (width, height, ppi))
        views.append(view)
    if offset != len(data):
        raise MinutiaeRecordError(f"{len(data) - offset} bytes follow the last view")
    return views


def _decode_general_header(data: bytes) -> tuple[int, int, int, int]:
    """The record's image width, height, resolution (ppi) and number of views, after its checks."""
    if len(data) < GENERAL_HEADER.size:
        raise MinutiaeRecordError(f"{len(data)} bytes are too short for a minutiae record")
    fmt, version, length, _device, width, height, x_res, y_res, count, _r = (
        GENERAL_HEADER.unpack_from(data)
    )
    if fmt != FORMAT_ID:
        raise MinutiaeRecordError(
            "not a finger minutiae record (format identifier is not 'FMR\\0')"
        )
    if version != VERSION:
        raise MinutiaeRecordError(f"unsupported version {version!r} (expected ' 20\\0')")
    if length != len(data):
        raise MinutiaeRecordError(
            f"record length field says {length} bytes, record has {len(data)}"
        )
    if x_res != y_res or x_res == 0:
        raise MinutiaeRecordError("the resolution must be square and not zero")
    if width == 0 or height == 0:
        raise MinutiaeRecordError("the image size must not be zero")
    return width, height, _ppi(x_res), count


def _decode_view(
    data: bytes, offset: int, index: int, count: int, image: tuple[int, int, int]
) -> tuple[MinutiaeView, int]:
    """The view at `offset` (number `index` of `count`) and the offset just after it."""
    if offset + VIEW_HEADER.size > len(data):
        raise MinutiaeRecordError(f"view {index + 1} of {count} is missing")
    position, packed, finger_quality, minutiae = VIEW_HEADER.unpack_from(data, offset)
    offset += VIEW_HEADER.size
    end = offset + minutiae * MINUTIA.size
    if end + 2 > len(data):
        raise MinutiaeRecordError(f"view {index + 1} is cut short")
    if position > 10 or finger_quality > 100:
        raise MinutiaeRecordError(f"view {index + 1}: finger position or quality out of range")
    points = [_decode_minutia(data, offset + n * MINUTIA.size, index, n) for n in range(minutiae)]
    extended = int.from_bytes(data[end : end + 2], "big")
    # The length counts the extended data that follows it.
    after = end + 2 + extended
    if after > len(data):
        raise MinutiaeRecordError(f"view {index + 1}: extended data length {extended} overruns")
    width, height, ppi = image
    flow = _read_extended(data[end + 2 : after], index, (width, height))
    template = Template.of(width, height, ppi, points, finger_quality, flow=flow)
    return MinutiaeView(position, template, packed >> 4, packed & 0x0F), after


def _decode_minutia(
    data: bytes, offset: int, view: int, n: int
) -> tuple[float, float, float, MinutiaKind, int]:
    tx, ry, angle, quality = MINUTIA.unpack_from(data, offset)
    kind_code = tx >> 14
    if kind_code == 3 or quality > 100:
        raise MinutiaeRecordError(f"view {view + 1}, minutia {n + 1}: bad type or quality")
    return (
        float(tx & _COORDINATE_MAX),
        float(ry & _COORDINATE_MAX),
        float(angle * _ANGLE_UNIT),
        MinutiaKind(kind_code),
        quality,
    )


def encode_compact(template: Template) -> bytes:
    """The card compact-size form: 3 bytes per minutia (0.1 mm positions, 5.625 degree angles)."""
    if template.count > MAX_MINUTIAE:
        raise MinutiaeRecordError(f"{template.count} minutiae are too many for a compact template")
    tenths = 10 * _MM_PER_INCH / template.ppi
    x = np.rint(template.x * tenths).astype(int)
    y = np.rint(template.y * tenths).astype(int)
    if template.count and (x.max() > 255 or y.max() > 255 or x.min() < 0 or y.min() < 0):
        raise MinutiaeRecordError("a minutia lies beyond 25.5 mm: outside the compact range")
    angle = np.rint(np.mod(template.angle, 2 * np.pi) / _COMPACT_ANGLE_UNIT).astype(int) % 64
    return bytes(
        b
        for px, py, a, k in zip(x, y, angle, template.kind, strict=True)
        for b in (int(px), int(py), (int(k) & 3) << 6 | int(a))
    )


def decode_compact(data: bytes, width: int, height: int, ppi: int = 500) -> Template:
    """A template from the compact form, in pixels of an image `width` x `height` at `ppi`."""
    if len(data) % COMPACT_MINUTIA_SIZE:
        raise MinutiaeRecordError(f"{len(data)} bytes are not a whole number of compact minutiae")
    pixels = ppi / (10 * _MM_PER_INCH)
    points = []
    for n in range(0, len(data), COMPACT_MINUTIA_SIZE):
        px, py, packed = data[n], data[n + 1], data[n + 2]
        if packed >> 6 == 3:
            raise MinutiaeRecordError(f"compact minutia {n // 3 + 1} has an unknown type")
        points.append(
            (
                px * pixels,
                py * pixels,
                (packed & 0x3F) * _COMPACT_ANGLE_UNIT,
                MinutiaKind(packed >> 6),
                0,
            )
        )
    return Template.of(width, height, ppi, points)

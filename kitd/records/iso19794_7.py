r"""ISO/IEC 19794-7 (2007) signature/sign time series record, full format: encoder and decoder.

Layout written (all integers big-endian, as the 19794 family requires):

    general header     "SDI\0", version "010\0", record length u32, number of representations u8 (1)
    channel inclusion  u16, one bit per channel from the MSB: X Y Z VX VY AX AY T DT F S TX TY A E R
    channel descriptions, for each included channel in that order:
                       preamble u8 (0x80 scale, 0x40 minimum, 0x20 maximum present), then the present
                       values: scale u16 (5-bit exponent E, 11-bit mantissa M: 2**(E-16) * (1 + M/2048)),
                       minimum u16, maximum u16
    representation     length u32, capture time (year u16, month, day, hour, minute, second u8,
                       millisecond u16; UTC), device technology u8, vendor id u16, device type u16,
                       quality block count u8 (0), number of sample points u32,
                       sample points (each included channel as u16, in channel order),
                       extended data length u16 (0)

Channels kitd writes: X and Y (device units, scale = units per mm, range 0..max), T (time since the first
sample; scale 1000 per second = ms, or 100 per second when the signature is longer than 65.5 s),
F (pen pressure, range 0..max_pressure, uncalibrated so no scale) and S (tip switch 0/1).
Pure bytes: nothing here reads files or devices.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hal.signpad.base import PadInfo, PenFlags, PenSample

FORMAT_ID = b"SDI\x00"
VERSION = b"010\x00"
CHANNELS = ("X", "Y", "Z", "VX", "VY", "AX", "AY", "T", "DT", "F", "S", "TX", "TY", "A", "E", "R")
WRITTEN = ("X", "Y", "T", "F", "S")
HAS_SCALE, HAS_MIN, HAS_MAX = 0x80, 0x40, 0x20
_HEADER = struct.Struct(">4s4sIB")
_TIME = struct.Struct(">HBBBBBH")
_DEVICE = struct.Struct(">BHHB")


class SignatureRecordError(ValueError):
    """Bytes that are not a record this module can read."""


def encode_scale(value: float) -> int:
    """A channel scale in 19794-7's 16-bit float: 5-bit biased exponent, 11-bit mantissa."""
    if value <= 0:
        raise ValueError(f"scale must be positive, not {value}")
    exponent = math.floor(math.log2(value))
    mantissa = round((value / 2.0**exponent - 1.0) * 2048)
    if mantissa == 2048:
        exponent, mantissa = exponent + 1, 0
    biased = exponent + 16
    if not 0 <= biased < 32:
        raise ValueError(f"scale {value} is outside what 19794-7 can express")
    return (biased << 11) | mantissa


def decode_scale(code: int) -> float:
    """The scale a 19794-7 16-bit float code stands for."""
    return float(2.0 ** ((code >> 11) - 16) * (1.0 + (code & 0x7FF) / 2048.0))


@dataclass(frozen=True)
class ChannelDescription:
    """An ISO/IEC 19794-7 channel's scale and range."""

    scale: float | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class SignatureTimeSeries:
    """A signature's pen samples as an ISO/IEC 19794-7 record holds them."""

    captured_at: datetime
    channels: dict[str, ChannelDescription]
    # One tuple per sample point, values in the order of `channel_names`.
    points: list[tuple[int, ...]] = field(repr=False)
    device_technology: int = 0
    vendor_id: int = 0
    device_type: int = 0

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(name for name in CHANNELS if name in self.channels)

    def channel(self, name: str) -> list[int]:
        index = self.channel_names.index(name)
        return [point[index] for point in self.points]


def encode_iso19794_7(
    samples: Sequence[PenSample],
    pad: PadInfo,
    captured_at: datetime | None = None,
    *,
    vendor_id: int = 0,
    device_type: int = 0,
) -> bytes:
    """The pen samples as one ISO/IEC 19794-7 record, with the pad's ranges and resolution."""
    when = (captured_at or datetime.now(UTC)).astimezone(UTC)
    start = samples[0].time_us if samples else 0
    span_ms = (samples[-1].time_us - start) / 1000.0 if samples else 0.0
    time_rate = 1000 if span_ms <= 0xFFFF else 100
    if span_ms * time_rate / 1000.0 > 0xFFFF:
        raise ValueError(f"a {span_ms / 1000:.0f} s signature is too long for a 19794-7 record")
    units_per_mm = max(pad.lpi, 1) / 25.4
    descriptions = {
        "X": ChannelDescription(units_per_mm, 0, pad.max_x),
        "Y": ChannelDescription(units_per_mm, 0, pad.max_y),
        "T": ChannelDescription(float(time_rate)),
        "F": ChannelDescription(None, 0, pad.max_pressure),
        "S": ChannelDescription(),
    }
    inclusion = 0
    for name in WRITTEN:
        inclusion |= 0x8000 >> CHANNELS.index(name)
    channel_block = bytearray(struct.pack(">H", inclusion))
    for name in CHANNELS:
        if name in descriptions:
            channel_block += _description_bytes(descriptions[name])
    body = bytearray()
    for sample in samples:
        t = round((sample.time_us - start) * time_rate / 1_000_000)
        body += struct.pack(
            ">HHHHH",
            _u16(sample.x),
            _u16(sample.y),
            t,
            _u16(sample.pressure),
            1 if PenFlags.TIP in sample.flags else 0,
        )
    representation = bytearray()
    representation += _TIME.pack(
        when.year, when.month, when.day, when.hour, when.minute, when.second,
        when.microsecond // 1000,
    )  # fmt: skip
    representation += _DEVICE.pack(0, vendor_id, device_type, 0)
    representation += struct.pack(">I", len(samples))
    representation += body
    representation += struct.pack(">H", 0)
    prefixed = struct.pack(">I", len(representation) + 4) + bytes(representation)
    length = _HEADER.size + len(channel_block) + len(prefixed)
    return _HEADER.pack(FORMAT_ID, VERSION, length, 1) + bytes(channel_block) + prefixed


def decode_iso19794_7(data: bytes) -> SignatureTimeSeries:
    """A 19794-7 record as kitd writes it; anything malformed is a SignatureRecordError."""
    try:
        return _decode(data)
    except struct.error as exc:
        raise SignatureRecordError(f"truncated ISO/IEC 19794-7 record: {exc}") from exc


def _decode(data: bytes) -> SignatureTimeSeries:
    _check_header(data)
    channels, offset = _read_channels(data, _HEADER.size)
    (rep_length,) = struct.unpack_from(">I", data, offset)
    if offset + rep_length != len(data):
        raise SignatureRecordError("representation length does not match the record")
    offset += 4
    year, month, day, hour, minute, second, millis = _TIME.unpack_from(data, offset)
    offset += _TIME.size
    technology, vendor, device_type, quality_blocks = _DEVICE.unpack_from(data, offset)
    offset += _DEVICE.size + 5 * quality_blocks
    points, offset = _read_points(data, offset, len(channels))
    (extended,) = struct.unpack_from(">H", data, offset)
    if offset + 2 + extended != len(data):
        raise SignatureRecordError("extended data length does not match the record")
    try:
        captured = datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=UTC)
    except ValueError as exc:
        raise SignatureRecordError(f"bad capture time: {exc}") from exc
    return SignatureTimeSeries(captured, channels, points, technology, vendor, device_type)


def _check_header(data: bytes) -> None:
    format_id, version, length, count = _HEADER.unpack_from(data)
    if format_id != FORMAT_ID:
        raise SignatureRecordError(f"not a 19794-7 record (format identifier {format_id!r})")
    if version != VERSION:
        raise SignatureRecordError(f"unsupported 19794-7 version {version!r} (reads {VERSION!r})")
    if length != len(data):
        raise SignatureRecordError(
            f"record length field says {length}, the data is {len(data)} bytes"
        )
    if count != 1:
        raise SignatureRecordError(f"{count} representations; kitd records hold exactly one")


def _read_channels(data: bytes, offset: int) -> tuple[dict[str, ChannelDescription], int]:
    """The channels the inclusion field names, each with its description, and the offset after."""
    (inclusion,) = struct.unpack_from(">H", data, offset)
    offset += 2
    channels: dict[str, ChannelDescription] = {}
    for bit, name in enumerate(CHANNELS):
        if inclusion & (0x8000 >> bit):
            channels[name], offset = _read_description(data, offset)
    return channels, offset


def _read_points(data: bytes, offset: int, channel_count: int) -> tuple[list[tuple[int, ...]], int]:
    """The sample points (count first) at `offset`, one value per channel, and the offset after."""
    (points_count,) = struct.unpack_from(">I", data, offset)
    offset += 4
    if not channel_count:
        # Points of no channel take no bytes: any count would "fit", up to 4 billion empty points.
        raise SignatureRecordError("the record includes no channel; a signature needs X and Y")
    point = struct.Struct(">" + "H" * channel_count)
    if offset + points_count * point.size + 2 > len(data):
        raise SignatureRecordError(
            f"{points_count} points of {point.size} bytes do not fit in the record"
        )
    points = [point.unpack_from(data, offset + i * point.size) for i in range(points_count)]
    return points, offset + points_count * point.size


def _description_bytes(description: ChannelDescription) -> bytes:
    preamble = 0
    values = b""
    if description.scale is not None:
        preamble |= HAS_SCALE
        values += struct.pack(">H", encode_scale(description.scale))
    if description.minimum is not None:
        preamble |= HAS_MIN
        values += struct.pack(">H", description.minimum)
    if description.maximum is not None:
        preamble |= HAS_MAX
        values += struct.pack(">H", description.maximum)
    return bytes((preamble,)) + values


def _read_description(data: bytes, offset: int) -> tuple[ChannelDescription, int]:
    # unpack_from, not data[offset]: a record cut short must raise struct.error, never IndexError.
    (preamble,) = struct.unpack_from(">B", data, offset)
    offset += 1
    values: dict[str, float | int | None] = {"scale": None, "minimum": None, "maximum": None}
    for flag, key in ((HAS_SCALE, "scale"), (HAS_MIN, "minimum"), (HAS_MAX, "maximum")):
        if preamble & flag:
            (raw,) = struct.unpack_from(">H", data, offset)
            offset += 2
            values[key] = decode_scale(raw) if key == "scale" else raw
    scale, minimum, maximum = values["scale"], values["minimum"], values["maximum"]
    return (
        ChannelDescription(
            None if scale is None else float(scale),
            None if minimum is None else int(minimum),
            None if maximum is None else int(maximum),
        ),
        offset,
    )


def _u16(value: int) -> int:
    return max(0, min(0xFFFF, int(value)))

"""ISO/IEC 19794-2:2005 minutiae record and compact card format: fields where the standard puts them,
templates back equal, and damaged bytes refused with MinutiaeRecordError."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kitd.matching.template import MinutiaKind, Template
from kitd.records.iso19794_2 import (
    MinutiaeRecordError,
    MinutiaeView,
    decode_compact,
    decode_iso19794_2,
    encode_compact,
    encode_iso19794_2,
)

UNIT = 2 * np.pi / 256


def template(count: int = 3, finger_quality: int = 61) -> Template:
    points = [
        (
            10.0 + 37 * (n % 10),
            20.0 + 41 * (n % 11),
            (17 * n + 3) * UNIT,
            MinutiaKind(1 + n % 2),
            40 + n % 50,
        )
        for n in range(count)
    ]
    return Template.of(400, 500, 500, points, finger_quality)


def test_a_record_decodes_back_to_the_same_templates() -> None:
    views = [MinutiaeView(2, template(), 0, 0), MinutiaeView(7, template(5, 33), 1, 0)]
    decoded = decode_iso19794_2(encode_iso19794_2(views))
    assert decoded == views


def test_the_general_header_follows_the_standard() -> None:
    record = encode_iso19794_2([MinutiaeView(2, template(4))], capture_device_type=0x123)
    assert record[:8] == b"FMR\x00 20\x00"
    assert struct.unpack_from(">I", record, 8)[0] == len(record)
    device, width, height, x_res, y_res, views, reserved = struct.unpack_from(
        ">HHHHHBB", record, 12
    )
    assert (device, width, height) == (0x123, 400, 500)
    # 500 ppi is 197 pixels per centimetre.
    assert (x_res, y_res, views, reserved) == (197, 197, 1, 0)
    assert len(record) == 24 + 4 + 4 * 6 + 2


def test_a_minutia_packs_type_position_angle_and_quality() -> None:
    one = Template.of(400, 500, 500, [(300.0, 411.0, 64 * UNIT, MinutiaKind.BIFURCATION, 77)])
    record = encode_iso19794_2([MinutiaeView(6, one)])
    position, packed, quality, count = struct.unpack_from(">BBBB", record, 24)
    assert (position, packed, quality, count) == (6, 0, 0, 1)
    tx, ry, angle, minutia_quality = struct.unpack_from(">HHBB", record, 28)
    assert tx >> 14 == 2 and tx & 0x3FFF == 300
    assert ry == 411
    assert (angle, minutia_quality) == (64, 77)


def test_extended_data_of_other_writers_is_skipped() -> None:
    record = bytearray(encode_iso19794_2([MinutiaeView(2, template())]))
    record[-2:] = (4).to_bytes(2, "big")
    record += b"\x00\x01\x00\x00"
    struct.pack_into(">I", record, 8, len(record))
    assert decode_iso19794_2(bytes(record))[0].template == template()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda r: b"FIR\x00" + r[4:], "format identifier"),
        (lambda r: r[:4] + b"030\x00" + r[8:], "version"),
        (lambda r: r[:-1], "record length"),
        (lambda r: r[:8] + struct.pack(">I", 20) + r[12:20], "too short"),
        (lambda r: r[:22] + b"\x02" + r[23:], "missing"),
    ],
)
def test_damaged_records_are_refused(damage: object, message: str) -> None:
    record = encode_iso19794_2([MinutiaeView(2, template())])
    with pytest.raises(MinutiaeRecordError, match=message):
        decode_iso19794_2(damage(record))  # type: ignore[operator]


def test_a_minutia_of_an_unknown_type_is_refused() -> None:
    record = bytearray(encode_iso19794_2([MinutiaeView(2, template(1))]))
    record[28] |= 0xC0
    with pytest.raises(MinutiaeRecordError, match="bad type"):
        decode_iso19794_2(bytes(record))


def test_templates_that_do_not_fit_are_refused_before_writing() -> None:
    with pytest.raises(MinutiaeRecordError, match="at most 255"):
        encode_iso19794_2([MinutiaeView(2, template(256))])
    with pytest.raises(MinutiaeRecordError, match="share"):
        small = Template.of(300, 300, 500, [])
        encode_iso19794_2([MinutiaeView(2, template()), MinutiaeView(7, small)])
    with pytest.raises(MinutiaeRecordError, match="position"):
        encode_iso19794_2([MinutiaeView(11, template())])


def test_the_compact_form_keeps_positions_to_a_tenth_of_a_millimetre() -> None:
    original = template(6)
    compact = encode_compact(original)
    assert len(compact) == 3 * 6
    back = decode_compact(compact, 400, 500)
    # 0.1 mm is 1.97 px at 500 ppi: rounding moves a minutia by at most half of it.
    assert np.abs(back.x - original.x).max() <= 1.0
    assert np.abs(back.y - original.y).max() <= 1.0
    turned = np.angle(np.exp(1j * (back.angle - original.angle)))
    assert np.abs(turned).max() <= np.pi / 64 + 1e-6
    assert np.array_equal(back.kind, original.kind)


def test_the_compact_form_refuses_positions_beyond_its_range() -> None:
    wide = Template.of(800, 800, 500, [(600.0, 10.0, 0.0, MinutiaKind.RIDGE_ENDING, 50)])
    with pytest.raises(MinutiaeRecordError, match=r"25\.5 mm"):
        encode_compact(wide)
    with pytest.raises(MinutiaeRecordError, match="whole number"):
        decode_compact(b"\x01\x02", 400, 500)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_any_bytes_decode_to_views_or_a_typed_error(data: bytes) -> None:
    try:
        views = decode_iso19794_2(b"FMR\x00 20\x00" + data)
    except MinutiaeRecordError:
        return
    assert all(0 <= view.position <= 10 for view in views)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=60))
def test_any_bytes_decode_as_compact_minutiae_or_a_typed_error(data: bytes) -> None:
    try:
        back = decode_compact(data, 400, 500)
    except MinutiaeRecordError:
        return
    assert back.count == len(data) // 3


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=24 + 4 + 5 * 6 + 1), st.integers(1, 255))
def test_a_valid_record_with_one_byte_changed_decodes_or_is_refused(index: int, flip: int) -> None:
    record = bytearray(encode_iso19794_2([MinutiaeView(2, template(5))]))
    record[index] ^= flip
    try:
        (view,) = decode_iso19794_2(bytes(record))
    except MinutiaeRecordError:
        return
    assert view.template.count <= 5

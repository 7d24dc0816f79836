"""ISO/IEC 19794-2:2005 minutiae record and compact card format: fields where the standard puts them,
templates back equal (with their ridge flow, in a vendor-defined extended data area), and damaged bytes
refused with MinutiaeRecordError."""

from __future__ import annotations

import dataclasses
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kitd.matching.ridge_flow import RidgeFlow
from kitd.matching.template import MinutiaKind, Template
from kitd.records.iso19794_2 import (
    RIDGE_FLOW_TYPE,
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


def flow(rows: int = 62, columns: int = 50) -> RidgeFlow:
    cells = np.arange(rows * columns).reshape(rows, columns)
    return RidgeFlow(8, (cells % 256).astype(np.uint8), (cells % 101).astype(np.uint8))


def with_flow(count: int = 3) -> Template:
    return dataclasses.replace(template(count), flow=flow())


def test_a_template_s_ridge_flow_travels_in_its_view_s_extended_data() -> None:
    views = [MinutiaeView(2, with_flow()), MinutiaeView(7, template(5, 33))]
    record = encode_iso19794_2(views)
    assert decode_iso19794_2(record) == views
    # After the first view's three minutiae: the block length, then one area of kitd's type.
    end = 24 + 4 + 3 * 6
    block, kind, length = struct.unpack_from(">HHH", record, end)
    assert (kind, length) == (RIDGE_FLOW_TYPE, 5 + 2 * 62 * 50)
    assert block == 4 + length
    assert struct.unpack_from(">BHH", record, end + 6) == (8, 62, 50)


def test_a_flow_too_large_for_the_extended_data_is_left_out() -> None:
    huge = dataclasses.replace(template(), flow=flow(200, 200))
    (view,) = decode_iso19794_2(encode_iso19794_2([MinutiaeView(2, huge)]))
    assert view.template == template()


def flow_record() -> bytearray:
    return bytearray(encode_iso19794_2([MinutiaeView(2, with_flow())]))


def coherence_above_100(record: bytearray) -> bytearray:
    record[-1] = 101
    return record


def flow_cut_short(record: bytearray) -> bytearray:
    # One block fewer than the area holds: the grid no longer fits its bytes.
    struct.pack_into(">H", record, 24 + 4 + 3 * 6 + 6 + 1, 61)
    return record


def flow_larger_than_the_image(record: bytearray) -> bytearray:
    # 400 px wide: 100 columns of 8 px do not fit; the bytes still match the grid (31 x 100).
    area = 24 + 4 + 3 * 6 + 2
    struct.pack_into(">BHH", record, area + 4, 8, 31, 100)
    return record


def area_overrunning(record: bytearray) -> bytearray:
    struct.pack_into(">H", record, 24 + 4 + 3 * 6 + 4, 0xFFF0)
    return record


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (coherence_above_100, "above 100"),
        (flow_cut_short, "does not fit"),
        (flow_larger_than_the_image, "larger than the image"),
        (area_overrunning, "overruns"),
    ],
)
def test_a_damaged_ridge_flow_is_refused(damage: object, message: str) -> None:
    record = damage(flow_record())  # type: ignore[operator]
    with pytest.raises(MinutiaeRecordError, match=message):
        decode_iso19794_2(bytes(record))


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


def test_other_writers_areas_beside_the_ridge_flow_are_skipped() -> None:
    record = flow_record()
    end = 24 + 4 + 3 * 6
    (block,) = struct.unpack_from(">H", record, end)
    # A ridge count area (type 1) of 3 bytes after kitd's.
    record += b"\x00\x01\x00\x03abc"
    struct.pack_into(">H", record, end, block + 7)
    struct.pack_into(">I", record, 8, len(record))
    assert decode_iso19794_2(bytes(record))[0].template == with_flow()


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


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=24 + 4 + 3 * 6, max_value=24 + 4 + 3 * 6 + 2 + 4 + 5 + 8),
    st.integers(1, 255),
)
def test_a_ridge_flow_area_with_one_byte_changed_decodes_or_is_refused(
    index: int, flip: int
) -> None:
    # The extended data block's length, the area's type and length, and the flow's grid header.
    record = flow_record()
    record[index] ^= flip
    try:
        (view,) = decode_iso19794_2(bytes(record))
    except MinutiaeRecordError:
        return
    flow = view.template.flow
    assert flow is None or flow.direction.shape[0] * flow.block <= view.template.height

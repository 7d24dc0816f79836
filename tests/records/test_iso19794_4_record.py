"""ISO/IEC 19794-4:2005 finger image records of captured prints: WSQ keeps the print close, the record
carries the standard's fields and parses back to the same views, and broken records are refused."""

from __future__ import annotations

import contextlib
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from kitd.records.iso19794_4 import (
    Compression,
    FingerView,
    ImpressionType,
    IsoRecordError,
    decode_iso19794_4,
    encode_iso19794_4,
)
from kitd.records.wsq import decode_wsq, encode_wsq
from kitsim.prints.impression import Placement, render
from kitsim.prints.master import master_print

RIGHT_INDEX, LEFT_INDEX = 2, 7


@pytest.fixture(scope="module")
def prints() -> dict[int, NDArray[np.uint8]]:
    return {
        finger: render(master_print("iso-person", finger), Placement(quality=0.9, seed=finger))
        for finger in (RIGHT_INDEX, LEFT_INDEX)
    }


def psnr(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / mse)


def test_wsq_round_trip_keeps_the_print_close(prints: dict[int, NDArray[np.uint8]]) -> None:
    pixels = prints[RIGHT_INDEX]
    encoded = encode_wsq(pixels)
    decoded = decode_wsq(encoded)
    quality = psnr(pixels, decoded)
    bits_per_pixel = 8 * len(encoded) / pixels.size
    print(f"WSQ: {bits_per_pixel:.2f} bpp, PSNR {quality:.1f} dB")
    assert decoded.shape == pixels.shape
    assert quality > 28.0


def test_a_two_finger_wsq_record_parses_back_with_the_same_fields(
    prints: dict[int, NDArray[np.uint8]],
) -> None:
    views = [
        FingerView(finger, 400, 500, encode_wsq(pixels), Compression.WSQ, quality=quality)
        for (finger, pixels), quality in zip(prints.items(), (71, 45), strict=True)
    ]
    record = encode_iso19794_4(views)
    assert decode_iso19794_4(record) == views
    assert psnr(prints[LEFT_INDEX], decode_wsq(decode_iso19794_4(record)[1].data)) > 28.0


def test_the_general_header_carries_the_standard_fields(
    prints: dict[int, NDArray[np.uint8]],
) -> None:
    record = encode_iso19794_4(
        [FingerView.from_pixels(RIGHT_INDEX, prints[RIGHT_INDEX], quality=80)]
    )
    assert record[:8] == b"FIR\x00010\x00"
    assert int.from_bytes(record[8:14], "big") == len(record)
    _device, level, count, scale, hs, vs, hi, vi, depth, compression, reserved = struct.unpack_from(
        ">HHBBHHHHBBH", record, 14
    )
    assert (level, count, scale, depth, compression, reserved) == (31, 1, 1, 8, 0, 0)
    assert (hs, vs, hi, vi) == (500, 500, 500, 500)
    block, position, views, number, quality, impression, width, height, _ = struct.unpack_from(
        ">IBBBBBHHB", record, 32
    )
    assert (position, views, number, quality) == (RIGHT_INDEX, 1, 1, 80)
    assert impression == ImpressionType.LIVE_SCAN_PLAIN
    assert (width, height, block) == (400, 500, 14 + 400 * 500)


def test_uncompressed_views_give_the_pixels_back(prints: dict[int, NDArray[np.uint8]]) -> None:
    view = FingerView.from_pixels(LEFT_INDEX, prints[LEFT_INDEX])
    (decoded,) = decode_iso19794_4(encode_iso19794_4([view]))
    assert np.array_equal(decoded.pixels(), prints[LEFT_INDEX])


def test_two_views_of_one_finger_are_numbered(prints: dict[int, NDArray[np.uint8]]) -> None:
    pixels = prints[RIGHT_INDEX]
    views = decode_iso19794_4(encode_iso19794_4([FingerView.from_pixels(RIGHT_INDEX, pixels)] * 2))
    assert [(v.view_number, v.view_count) for v in views] == [(1, 2), (2, 2)]


def test_views_that_disagree_on_resolution_cannot_share_a_record() -> None:
    pixels = np.zeros((40, 40), np.uint8)
    with pytest.raises(IsoRecordError):
        encode_iso19794_4(
            [FingerView.from_pixels(2, pixels), FingerView.from_pixels(7, pixels, ppi=1000)]
        )


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2000), st.integers(0, 255), st.integers(0, 50))
def test_a_damaged_record_raises_only_iso_record_errors(
    position: int, value: int, cut: int
) -> None:
    pixels = np.arange(40 * 30, dtype=np.uint8).reshape(30, 40)
    record = bytearray(encode_iso19794_4([FingerView.from_pixels(2, pixels, quality=60)] * 2))
    record[position % len(record)] = value
    damaged = bytes(record[: len(record) - cut])
    with contextlib.suppress(IsoRecordError):
        decode_iso19794_4(damaged)

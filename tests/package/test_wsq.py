"""WSQ encoding of fingerprints in memory (kitd.records.wsq)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from kitd.records.wsq import WsqError, decode_wsq, encode_wsq
from support.visit_factory import finger_pixels


def test_wsq_round_trip_keeps_size_and_ridges() -> None:
    pixels = finger_pixels(5)
    data = encode_wsq(pixels)
    decoded = decode_wsq(data)
    assert data[:2] == b"\xff\xa0"
    assert decoded.shape == pixels.shape
    assert np.abs(decoded.astype(int) - pixels.astype(int)).mean() < 8


def test_wsq_compresses_to_about_three_quarters_of_a_bit_per_pixel() -> None:
    pixels = finger_pixels(6)
    bits_per_pixel = len(encode_wsq(pixels)) * 8 / pixels.size
    assert 0.3 < bits_per_pixel < 1.2


def test_wsq_encoding_is_deterministic() -> None:
    pixels = finger_pixels(7)
    assert encode_wsq(pixels) == encode_wsq(pixels)


@pytest.mark.parametrize("kwargs", [{"bitrate": 2.25}, {"ppi": 1000}])
def test_wsq_refuses_settings_the_codec_does_not_honour(kwargs: dict[str, float]) -> None:
    with pytest.raises(WsqError):
        encode_wsq(finger_pixels(8), **kwargs)  # type: ignore[arg-type]


def test_wsq_refuses_colour_images() -> None:
    with pytest.raises(WsqError):
        encode_wsq(np.zeros((64, 64, 3), dtype=np.uint8))  # type: ignore[arg-type]


def test_decoding_garbage_is_a_wsq_error() -> None:
    with pytest.raises(WsqError):
        decode_wsq(b"\xff\xa0" + bytes(100))
    with pytest.raises(WsqError):
        decode_wsq(b"\x89PNG")


CRASHING_STREAM = (
    Path(__file__).parent.parent / "fuzz" / "corpus" / "wsq_decode" / "nbis-segfault-864"
)


def test_a_good_stream_decodes_right_after_one_that_broke_the_decoder() -> None:
    pixels = finger_pixels(9)
    good = encode_wsq(pixels)
    for damaged in (CRASHING_STREAM.read_bytes(), b"\xff\xa0" + bytes(100)):
        with pytest.raises(WsqError):
            decode_wsq(damaged)
        assert np.array_equal(decode_wsq(good), decode_wsq(good))
        assert decode_wsq(good).shape == pixels.shape


def test_streams_decoded_from_several_threads_each_get_their_own_image() -> None:
    prints = [finger_pixels(10 + i) for i in range(4)]
    streams = [encode_wsq(p) for p in prints] * 3
    with ThreadPoolExecutor(4) as pool:
        decoded = list(pool.map(decode_wsq, streams))
    for stream, image in zip(streams, decoded, strict=True):
        original = prints[streams.index(stream)]
        assert np.abs(image.astype(int) - original.astype(int)).mean() < 8

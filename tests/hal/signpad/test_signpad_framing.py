"""The frame codec and payload layouts: known vectors, resynchronisation, and no crash on any input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hal.errors import ProtocolError
from hal.signpad.framing import (
    MAX_ENCODED,
    Frame,
    FrameDecoder,
    FramingError,
    cobs_decode,
    cobs_encode,
    crc16_ccitt_false,
    decode_frame,
    encode_frame,
)
from hal.signpad.protocol import (
    ClockUnwrapper,
    InfoPayload,
    RawPenSample,
    build_info,
    build_pen,
    parse_info,
    parse_pen,
)


def test_crc_matches_the_ccitt_false_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (b"", b"\x01"),
        (b"\x00", b"\x01\x01"),
        (b"\x00\x00", b"\x01\x01\x01"),
        (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
        (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
        (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255))),
        (bytes(range(0, 255)), b"\x01\xff" + bytes(range(1, 255))),
        (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
    ],
)
def test_cobs_matches_the_published_vectors(raw: bytes, encoded: bytes) -> None:
    assert cobs_encode(raw) == encoded
    assert cobs_decode(encoded) == raw


@given(st.binary(max_size=1200))
def test_cobs_round_trips_and_never_emits_a_zero(data: bytes) -> None:
    encoded = cobs_encode(data)
    assert 0 not in encoded
    assert cobs_decode(encoded) == data


def test_a_frame_round_trips_with_its_crc() -> None:
    wire = encode_frame(0x83, 7, b"\x00\x01\x00")
    assert wire.endswith(b"\x00") and wire.count(0) == 1
    assert decode_frame(wire[:-1]) == Frame(0x83, 7, b"\x00\x01\x00")


def test_a_flipped_bit_fails_the_crc() -> None:
    body = bytearray(b"\x83\x07hello")
    body += crc16_ccitt_false(bytes(body)).to_bytes(2, "big")
    body[3] ^= 0x01
    with pytest.raises(FramingError, match="CRC"):
        decode_frame(cobs_encode(bytes(body)))


def test_decoder_resynchronises_after_garbage_and_a_damaged_frame() -> None:
    good1 = encode_frame(0x85, 1, b"\x01\x02\x03\x04\x00")
    damaged = bytearray(encode_frame(0x83, 2, b"x" * 11))
    damaged[4] ^= 0x40
    good2 = encode_frame(0x84, 3, b"\x01\x00\x00\x00\x00")
    stream = b"\x13\x37garbage\xff\x00" + good1 + bytes(damaged) + good2
    decoder = FrameDecoder()
    frames = [f for i in range(0, len(stream), 3) for f in decoder.feed(stream[i : i + 3])]
    assert [f.seq for f in frames] == [1, 3]
    assert decoder.bad_frames == 2


def test_decoder_drops_an_overlong_run_and_recovers() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"\x05" * (MAX_ENCODED * 3)) == []
    frames = decoder.feed(b"\x00" + encode_frame(0x80, 9, b"\x01"))
    assert frames == [Frame(0x80, 9, b"\x01")]
    assert decoder.bad_frames == 1


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=400), max_size=20))
def test_decoder_survives_any_bytes_and_still_finds_a_frame_after_them(chunks: list[bytes]) -> None:
    decoder = FrameDecoder()
    for chunk in chunks:
        for frame in decoder.feed(chunk):
            assert len(frame.payload) <= 1024
    frames = decoder.feed(b"\x00" + encode_frame(0x01, 42, b"ping"))
    assert frames[-1] == Frame(0x01, 42, b"ping")


def test_info_payload_round_trips() -> None:
    info = InfoPayload(9600, 4000, 1023, 200, 2540, 480, 200, "KitPad", "SN-1", "2.4.1")
    assert parse_info(build_info(info)) == info


def test_truncated_info_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        parse_info(build_info(InfoPayload(1, 1, 1, 1, 1, 1, 1, "m", "s", "f"))[:-2])


def test_pen_payload_carries_several_samples() -> None:
    samples = [RawPenSample(5000 * i, i, 2 * i, 3 * i, 0x03) for i in range(5)]
    assert parse_pen(build_pen(samples)) == samples


@pytest.mark.parametrize("size", [0, 10, 12, 11 * 65])
def test_pen_payload_of_a_wrong_size_is_a_protocol_error(size: int) -> None:
    with pytest.raises(ProtocolError):
        parse_pen(b"\x01" * size)


def test_device_clock_is_unwrapped_across_the_32_bit_boundary() -> None:
    clock = ClockUnwrapper()
    raw = [0xFFFF_E000, 0xFFFF_F388, 0x0000_0710, 0x0000_1A98]
    assert [clock.unwrap(r) for r in raw] == [
        0xFFFF_E000,
        0xFFFF_F388,
        0x1_0000_0710,
        0x1_0000_1A98,
    ]

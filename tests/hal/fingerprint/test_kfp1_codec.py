"""The KFP1 codec: known vectors, and random or mutated bytes fed to every parser (they raise ProtocolError,
never anything else, and always return)."""

from __future__ import annotations

import contextlib
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hal.errors import ProtocolError
from hal.fingerprint import protocol as kfp1

FUZZ = settings(max_examples=400, deadline=None)


def _image_transfers(tag: int = 7, width: int = 40, height: int = 30) -> list[bytes]:
    header = kfp1.ImageHeader(
        tag, 11, width, height, 500, 8, kfp1.ImageKindCode.FINAL, width * height
    )
    return kfp1.encode_image(
        header, bytes(range(256)) * (width * height // 256) + bytes(width * height % 256)
    )


def test_a_command_header_is_the_documented_twelve_bytes() -> None:
    data = kfp1.encode_command(
        kfp1.Opcode.CAPTURE, 0x1234, kfp1.capture_payload(5000, 40, preview=True)
    )
    assert data[:12] == bytes.fromhex("4b46011034120000 06000000")
    assert data[12:] == struct.pack("<IBB", 5000, 40, 1)


def test_a_response_with_its_payload_decodes() -> None:
    status = struct.pack("<BBBBI", 1, 1, 0, 77, 1234)
    response = kfp1.decode_response(kfp1.encode_header(kfp1.Opcode.GET_STATUS, 9, 0, status))
    assert (response.opcode, response.tag, response.status) == (
        kfp1.Opcode.GET_STATUS,
        9,
        kfp1.Status.OK,
    )
    decoded = kfp1.decode_status(response.payload)
    assert decoded.state is kfp1.SensorState.CAPTURING and decoded.finger_present
    assert decoded.last_quality == 77 and decoded.frames == 1234


def test_capture_done_carries_frame_id_and_quality() -> None:
    data = kfp1.encode_header(kfp1.EventCode.CAPTURE_DONE, 5, 0, struct.pack("<IB", 42, 63))
    event = kfp1.decode_event(data)
    assert (event.code, event.tag, event.frame_id, event.value) == (
        kfp1.EventCode.CAPTURE_DONE,
        5,
        42,
        63,
    )


def test_an_image_reassembles_from_16_kib_transfers() -> None:
    transfers = _image_transfers(width=400, height=500)
    assert [len(t) for t in transfers[:-1]] == [16384] * (len(transfers) - 1)
    assembler = kfp1.ImageAssembler()
    results = [assembler.feed(t) for t in transfers]
    assert results[:-1] == [None] * (len(transfers) - 1)
    image = results[-1]
    assert image is not None and image.header.tag == 7 and len(image.pixels) == 200_000


def test_a_flipped_pixel_fails_the_crc() -> None:
    transfers = _image_transfers()
    damaged = bytearray(transfers[0])
    damaged[40] ^= 1
    with pytest.raises(kfp1.ImageCorrupt) as caught:
        kfp1.ImageAssembler().feed(bytes(damaged))
    assert caught.value.tag == 7 and caught.value.kind is kfp1.ImageKindCode.FINAL


def test_the_assembler_resynchronises_on_the_next_image_header() -> None:
    assembler = kfp1.ImageAssembler()
    big = _image_transfers(width=400, height=500)
    assert assembler.feed(big[0]) is None
    # The rest of that image is lost; a short transfer ends it early and the next image still decodes.
    with pytest.raises(ProtocolError):
        assembler.feed(b"\x00" * 100)
    small = _image_transfers(tag=8)
    assert [assembler.feed(t) for t in small][-1] is not None


def test_get_info_strings_decode() -> None:
    payload = struct.pack("<HHHHHBB", 0x1D6B, 0x0104, 400, 500, 500, 8, 2)
    for text in ("Vendor", "Model", "SN1", "1.2.0"):
        payload += bytes([len(text)]) + text.encode()
    info = kfp1.decode_info(payload)
    assert (info.vendor, info.model, info.serial, info.firmware) == (
        "Vendor",
        "Model",
        "SN1",
        "1.2.0",
    )


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_as_a_response_raise_only_protocol_errors(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        kfp1.decode_response(data)


@FUZZ
@given(st.binary(max_size=80))
def test_random_bytes_as_an_event_raise_only_protocol_errors(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        kfp1.decode_event(data)


@FUZZ
@given(st.binary(max_size=120))
def test_random_bytes_as_info_or_status_raise_only_protocol_errors(data: bytes) -> None:
    for parse in (kfp1.decode_info, kfp1.decode_status):
        with contextlib.suppress(ProtocolError):
            parse(data)


@FUZZ
@given(st.lists(st.binary(max_size=17000), max_size=4))
def test_random_transfers_as_images_raise_only_protocol_errors(transfers: list[bytes]) -> None:
    assembler = kfp1.ImageAssembler()
    for transfer in transfers:
        with contextlib.suppress(ProtocolError):
            assembler.feed(transfer)


def _mutate(data: bytes, position: int, value: int, cut: int) -> bytes:
    mutated = bytearray(data)
    if mutated:
        mutated[position % len(mutated)] = value
    return bytes(mutated[: len(mutated) - cut % (len(mutated) + 1)])


@FUZZ
@given(st.integers(0, 1000), st.integers(0, 255), st.integers(0, 40))
def test_mutated_responses_and_events_raise_only_protocol_errors(
    position: int, value: int, cut: int
) -> None:
    info = kfp1.encode_header(
        kfp1.Opcode.GET_INFO,
        3,
        0,
        struct.pack("<HHHHHBB", 1, 2, 400, 500, 500, 8, 2) + b"\x01a\x01b\x01c\x01d",
    )
    event = kfp1.encode_header(kfp1.EventCode.FINGER_ON, 3, 0, b"\x2f")
    for data, parse in ((info, kfp1.decode_response), (event, kfp1.decode_event)):
        try:
            decoded = parse(_mutate(data, position, value, cut))
        except ProtocolError:
            continue
        if isinstance(decoded, kfp1.Response) and decoded.opcode is kfp1.Opcode.GET_INFO:
            with contextlib.suppress(ProtocolError):
                kfp1.decode_info(decoded.payload)


@FUZZ
@given(st.integers(0, 200_000), st.integers(0, 255), st.integers(0, 3))
def test_a_mutated_image_is_never_accepted_with_wrong_content(
    position: int, value: int, cut: int
) -> None:
    transfers = _image_transfers(width=100, height=100)
    original = b"".join(transfers)
    stream = bytearray(original)
    stream[position % len(stream)] = value
    mutated = bytes(stream[: len(stream) - cut])
    pieces = [mutated[i : i + 16384] for i in range(0, len(mutated), 16384)]
    assembler = kfp1.ImageAssembler()
    for piece in pieces:
        try:
            image = assembler.feed(piece)
        except ProtocolError:
            continue
        if image is not None:
            # Accepted only when the bytes were left as they were.
            assert bytes(mutated) == original
            header = image.header
            body = kfp1.IMAGE_HEADER.size + header.length
            assert zlib.crc32(original[:body]) == struct.unpack("<I", original[body:])[0]

"""The simulator's usbmon recorder writes what umockdev's in-order replayer takes (docs/protocols/usb-sim.md
§5): a classic pcap of linktype 220, one submit and one completion per transfer, back to back."""

from __future__ import annotations

import errno
import struct
from pathlib import Path

from kitsim.usb.function import BULK, CONTROL, INTERRUPT, NO_DEVICE, OK, PIPE, TIMEOUT
from kitsim.usb.usbmon import PCAP_HEADER, RECORD_HEADER, USBMON_HEADER, UsbmonRecorder

SETUP = struct.pack("<BBHHH", 0x80, 6, 0x0303, 0x0409, 254)


def _records(path: Path) -> list[tuple[tuple[object, ...], bytes]]:
    blob = path.read_bytes()
    magic, _major, _minor, _zone, _sigfigs, _snaplen, linktype = PCAP_HEADER.unpack_from(blob)
    assert (magic, linktype) == (0xA1B2C3D4, 220)
    records, offset = [], PCAP_HEADER.size
    while offset < len(blob):
        _seconds, _micros, captured, original = RECORD_HEADER.unpack_from(blob, offset)
        assert captured == original
        offset += RECORD_HEADER.size
        header = USBMON_HEADER.unpack_from(blob, offset)
        records.append((header, blob[offset + USBMON_HEADER.size : offset + captured]))
        offset += captured
    return records


def _session(tmp_path: Path) -> list[tuple[tuple[object, ...], bytes]]:
    recorder = UsbmonRecorder(tmp_path / "s.pcap", bus=1, address=4)
    recorder.transfer(BULK, 0x01, host_length=12, status=OK, out_data=b"C" * 12)
    recorder.transfer(INTERRUPT, 0x83, host_length=64, status=TIMEOUT)
    recorder.transfer(BULK, 0x81, host_length=4096, status=OK, in_data=b"R" * 12)
    recorder.transfer(
        CONTROL, 0x80, host_length=254, status=OK, in_data=b"\x04\x03\x09\x04", setup=SETUP
    )
    recorder.transfer(BULK, 0x82, host_length=16384, status=PIPE)
    recorder.transfer(INTERRUPT, 0x83, host_length=64, status=NO_DEVICE)
    recorder.close()
    return _records(tmp_path / "s.pcap")


def test_each_transfer_is_a_submit_then_its_completion_and_a_timed_out_read_is_left_out(
    tmp_path: Path,
) -> None:
    records = _session(tmp_path)
    events = [(chr(h[1]), h[0], h[3]) for h, _ in records]
    assert events == [
        ("S", 1, 0x01), ("C", 1, 0x01),
        ("S", 2, 0x81), ("C", 2, 0x81),
        ("S", 3, 0x80), ("C", 3, 0x80),
        ("S", 4, 0x82), ("C", 4, 0x82),
        ("S", 5, 0x83), ("C", 5, 0x83),
    ]  # fmt: skip
    assert {(h[4], h[5]) for h, _ in records} == {(4, 1)}  # device address, bus


def test_out_data_is_on_the_submit_in_data_on_the_completion_with_usbmon_transfer_types(
    tmp_path: Path,
) -> None:
    (out_s, out_data), (out_c, _), (in_s, in_sub), (in_c, in_data) = _session(tmp_path)[:4]
    assert (out_s[2], out_s[11], out_data) == (3, 12, b"C" * 12)  # bulk, length, data
    assert (out_c[10], out_c[11]) == (0, 12)
    assert (in_s[11], in_sub) == (4096, b"")  # the host's buffer size, no data
    assert (in_c[11], in_data) == (12, b"R" * 12)


def test_a_control_transfer_carries_its_setup_flagged_absent_and_wlength(tmp_path: Path) -> None:
    (submit, _), (completion, data) = _session(tmp_path)[4:6]
    assert submit[2] == 2  # usbmon's control type
    assert (submit[6], submit[11], submit[13]) == (ord("-"), 254, SETUP)
    assert (completion[11], data) == (4, b"\x04\x03\x09\x04")


def test_a_stall_and_an_unplug_complete_with_negative_errnos(tmp_path: Path) -> None:
    records = _session(tmp_path)
    (stall, stall_data), (lost, _) = records[7], records[9]
    assert (stall[10], stall[11], stall_data) == (-errno.EPIPE, 0, b"")
    assert (lost[2], lost[10]) == (1, -errno.ENODEV)  # usbmon's interrupt type

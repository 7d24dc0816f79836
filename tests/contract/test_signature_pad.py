"""The SignaturePad contract: what every signature pad driver does, whatever carries its bytes.

Runs against the simulated pad over a pty and over socket://, each in its own process, and - marked
`hardware` - against the real pad named by KITD_HW_SIGNATURE_PAD_SOURCE (a person signs and presses OK).
"""

from __future__ import annotations

import itertools
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sims.signpad.signpad_process import SignpadSimProcess, collect_until_ok

from hal.device import DeviceKind
from hal.errors import DeviceGone
from hal.registry import resolve
from hal.signpad.base import ButtonId, ButtonPress, PenFlags, SignaturePad


@pytest.fixture(params=["pty", "socket"])
def simulator(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SignpadSimProcess]:
    sim = SignpadSimProcess(tmp_path, transport=request.param)
    yield sim
    sim.close()


@pytest.fixture
def pad(simulator: SignpadSimProcess) -> Iterator[SignaturePad]:
    device = resolve(simulator.source, name="signature_pad", kind=DeviceKind.SIGNATURE_PAD)
    assert isinstance(device, SignaturePad)
    device.open()
    yield device
    device.close()


def test_opening_reports_identity_and_pen_range(pad: SignaturePad) -> None:
    info = pad.info
    assert info.model and info.serial and info.firmware
    pad_info = pad.pad_info
    assert pad_info.max_x > 0 and pad_info.max_y > 0 and pad_info.max_pressure > 0
    assert pad_info.rate_hz == 200
    assert pad_info.screen_width > 0 and pad_info.screen_height > 0


def frames_received(simulator: SignpadSimProcess) -> int:
    return int(simulator.control("info")["frames_in"])


def test_ping_is_answered(pad: SignaturePad, simulator: SignpadSimProcess) -> None:
    before = frames_received(simulator)
    pad.ping()
    # ping() returns only on the pad's ACK, so the pad has read the PING by now.
    assert frames_received(simulator) > before
    assert pad.is_open


def test_nothing_arrives_before_start(pad: SignaturePad) -> None:
    assert pad.read_event(0.2) is None


def test_signing_streams_timed_samples_and_ok_ends_it(
    pad: SignaturePad, simulator: SignpadSimProcess
) -> None:
    pad.start()
    plan = simulator.control("sign", name="Jan Peeters", press_ok=True)
    samples = collect_until_ok(pad)
    pad.stop()
    assert len(samples) == plan["samples"]
    assert sum(s.tip for s in samples) == plan["ink_samples"]
    times = [s.time_us for s in samples]
    assert all(b > a for a, b in itertools.pairwise(times))
    # 200 Hz on the device's clock while the pen is in range.
    assert min(b - a for a, b in itertools.pairwise(times)) == 5000
    info = pad.pad_info
    assert all(0 <= s.x <= info.max_x and 0 <= s.y <= info.max_y for s in samples)
    assert all(0 <= s.pressure <= info.max_pressure for s in samples)
    assert not any(PenFlags.SAMPLES_DROPPED in s.flags for s in samples)


def test_buttons_arrive_as_presses(pad: SignaturePad, simulator: SignpadSimProcess) -> None:
    simulator.control("button", button="clear")
    assert pad.read_event(5.0) == ButtonPress(ButtonId.CLEAR)


def test_screen_image_reaches_the_pad(pad: SignaturePad, simulator: SignpadSimProcess) -> None:
    info = pad.pad_info
    image = np.tile(np.arange(info.screen_width, dtype=np.uint8), (info.screen_height, 1))
    pad.show_image(image)
    assert simulator.control("info")["screen_crc32"] == zlib.crc32(image.tobytes())


def test_a_screen_image_of_the_wrong_size_is_refused_before_sending(pad: SignaturePad) -> None:
    with pytest.raises(ValueError, match="screen"):
        pad.show_image(np.zeros((10, 10), dtype=np.uint8))


def test_clear_and_stop_are_acknowledged(pad: SignaturePad, simulator: SignpadSimProcess) -> None:
    pad.start()
    pad.clear()
    pad.stop()
    pad.stop()
    status = simulator.control("info")
    assert status["clears"] == 1 and status["streaming"] is False


def test_close_then_open_again_works(pad: SignaturePad, simulator: SignpadSimProcess) -> None:
    serial = pad.info.serial
    pad.close()
    assert not pad.is_open
    pad.open()
    assert pad.is_open and pad.info.serial == serial
    before = frames_received(simulator)
    pad.ping()
    assert frames_received(simulator) > before


def test_unplug_is_reported_as_device_gone(pad: SignaturePad, simulator: SignpadSimProcess) -> None:
    lost = []
    pad.add_link_lost_listener(lost.append)
    simulator.control("unplug")
    with pytest.raises(DeviceGone):
        pad.read_event(5.0)
    assert len(lost) == 1 and isinstance(lost[0], DeviceGone)


@pytest.mark.hardware
def test_real_pad_records_a_signature() -> None:
    source = os.environ.get("KITD_HW_SIGNATURE_PAD_SOURCE")
    if not source:
        pytest.skip(
            "set KITD_HW_SIGNATURE_PAD_SOURCE to the pad's source, e.g. framed:/dev/kitd-signpad"
        )
    device = resolve(source, kind=DeviceKind.SIGNATURE_PAD)
    assert isinstance(device, SignaturePad)
    with device:
        device.ping()
        info = device.pad_info
        device.show_image(np.full((info.screen_height, info.screen_width), 255, dtype=np.uint8))
        device.clear()
        device.start()
        try:
            samples = collect_until_ok(device, timeout=60.0)
        finally:
            device.stop()
    assert any(s.tip for s in samples)
    times = [s.time_us for s in samples]
    assert times == sorted(times)

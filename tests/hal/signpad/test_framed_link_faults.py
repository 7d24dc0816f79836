"""The framed: driver against the simulated pad's faults: damage, loss, stalls, unplug and replug."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sims.signpad.signpad_process import SignpadSimProcess, collect_until_ok

from hal.errors import DeviceError, DeviceGone, DeviceTimeout
from hal.registry import resolve
from hal.signpad.base import PenFlags, PenSample, SignaturePad
from hal.signpad.driver import FramedSignaturePad

SCRIPT = {
    "strokes": [{"points": [[0, 0.1, 0.5, 0.5], [600, 0.5, 0.3, 0.7], [1200, 0.9, 0.6, 0.4]]}]
}


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[SignpadSimProcess]:
    sim = SignpadSimProcess(tmp_path)
    yield sim
    sim.close()


def open_pad(sim: SignpadSimProcess, options: str = "") -> SignaturePad:
    pad = resolve(sim.source + options)
    assert isinstance(pad, SignaturePad)
    pad.open()
    return pad


def sign(pad: SignaturePad, sim: SignpadSimProcess) -> list[PenSample]:
    pad.start()
    sim.control("sign", script=SCRIPT, press_ok=True)
    try:
        return collect_until_ok(pad)
    finally:
        pad.stop()


def signing(sim: SignpadSimProcess) -> tuple[SignaturePad, list[PenSample], dict[str, Any]]:
    """The pad opened and signing, once its first pen samples arrived: the pad's frame numbers can only
    show a loss after a frame the host has seen, so faults are armed from here. Also the sign plan."""
    pad = open_pad(sim)
    pad.start()
    plan = sim.control("sign", script=SCRIPT, press_ok=True)
    first = pad.read_event(20.0)
    assert isinstance(first, list) and first, first
    return pad, first, plan


def test_line_noise_between_frames_leaves_the_signature_intact(
    simulator: SignpadSimProcess,
) -> None:
    pad = open_pad(simulator)
    clean = sign(pad, simulator)
    simulator.control("fault", kind="noise", bytes=300)
    noisy = sign(pad, simulator)
    pad.close()
    assert [(s.x, s.y, s.pressure, s.flags) for s in noisy] == [
        (s.x, s.y, s.pressure, s.flags) for s in clean
    ]


def test_corrupt_pen_frames_are_skipped_and_the_loss_is_flagged(
    simulator: SignpadSimProcess,
) -> None:
    # A loss before the first frame would cost nothing but the stroke's first instant.
    pad, first, plan = signing(simulator)
    simulator.control("fault", kind="corrupt", count=3, only="pen")
    samples = [*first, *collect_until_ok(pad)]
    pad.stop()
    # Three frames are lost; a frame carries one sample, or several when the pad catches up.
    assert plan["samples"] - 3 * 64 <= len(samples) <= plan["samples"] - 3
    assert any(PenFlags.SAMPLES_DROPPED in s.flags for s in samples)
    assert pad.stats.bad_frames >= 3  # type: ignore[attr-defined]
    pad.ping()  # the link carries on
    pad.close()


def test_a_pen_frame_whose_layout_is_impossible_is_skipped_and_counted_beside_damaged_ones(
    simulator: SignpadSimProcess,
) -> None:
    pad, _, _ = signing(simulator)
    # One frame a byte short (its CRC holds), then one damaged on the wire.
    simulator.control("fault", kind="truncate", count=1, only="pen")
    simulator.control("fault", kind="corrupt", count=1, only="pen")
    collect_until_ok(pad)
    pad.stop()
    assert isinstance(pad, FramedSignaturePad)
    assert pad.stats.bad_frames == 2
    pad.ping()  # the link carries on
    pad.close()


def test_the_samples_of_a_pen_frame_whose_layout_is_impossible_are_flagged_as_dropped(
    simulator: SignpadSimProcess,
) -> None:
    pad, _, _ = signing(simulator)
    simulator.control("fault", kind="truncate", count=1, only="pen")
    samples = collect_until_ok(pad)
    pad.stop()
    assert sum(PenFlags.SAMPLES_DROPPED in s.flags for s in samples) == 1
    pad.close()


def test_fifo_overflow_reaches_the_host_as_samples_dropped(simulator: SignpadSimProcess) -> None:
    pad = open_pad(simulator)
    simulator.control("fault", kind="overflow", count=20)
    samples = sign(pad, simulator)
    pad.close()
    assert sum(PenFlags.SAMPLES_DROPPED in s.flags for s in samples) == 1


def test_missing_heartbeat_is_noticed_as_link_lost(simulator: SignpadSimProcess) -> None:
    pad = open_pad(simulator, "?silence_ms=1500")
    lost: list[DeviceError] = []
    noticed = threading.Event()

    def on_lost(error: DeviceError) -> None:
        lost.append(error)
        noticed.set()

    pad.add_link_lost_listener(on_lost)
    simulator.control("fault", kind="heartbeat_stop")
    assert noticed.wait(10.0)
    assert isinstance(lost[0], DeviceGone) and "heartbeat" in str(lost[0])
    with pytest.raises(DeviceGone):
        pad.ping()
    pad.close()


def test_a_reply_that_comes_too_late_is_a_timeout(simulator: SignpadSimProcess) -> None:
    pad = open_pad(simulator, "?reply_ms=300&retries=0")
    simulator.control("fault", kind="delay", count=1, duration=0.8)
    with pytest.raises(DeviceTimeout, match="did not answer"):
        pad.ping()
    pad.close()


def test_a_corrupted_reply_is_recovered_by_sending_the_command_again(
    simulator: SignpadSimProcess,
) -> None:
    pad = open_pad(simulator, "?reply_ms=300")
    simulator.control("fault", kind="corrupt", count=1, only="ack")
    pad.ping()
    assert isinstance(pad, FramedSignaturePad)
    assert pad.stats.retried_commands == 1
    assert pad.stats.bad_frames >= 1
    pad.close()


def test_unplug_mid_signature_then_replug_and_sign_again(simulator: SignpadSimProcess) -> None:
    pad = open_pad(simulator)
    pad.start()
    simulator.control("sign", name="Jan Peeters", press_ok=True)
    first = pad.read_event(5.0)
    assert isinstance(first, list) and first
    simulator.control("unplug")
    with pytest.raises(DeviceGone):
        while True:
            pad.read_event(5.0)
    pad.close()
    with pytest.raises(DeviceGone):
        pad.open()
    simulator.control("replug")
    pad.open()
    samples = sign(pad, simulator)
    pad.close()
    assert any(s.tip for s in samples)


def test_the_device_clock_is_unwrapped_during_a_signature(tmp_path: Path) -> None:
    # The pad's 32-bit microsecond clock wraps 0.5 s into the pen stream.
    sim = SignpadSimProcess(tmp_path, wrap_after_start_us=500_000)
    try:
        pad = open_pad(sim)
        samples = sign(pad, sim)
        pad.close()
    finally:
        sim.close()
    times = [s.time_us for s in samples]
    assert times[0] < 2**32 < times[-1]
    assert all(b - a == 5000 for a, b in itertools.pairwise(times))

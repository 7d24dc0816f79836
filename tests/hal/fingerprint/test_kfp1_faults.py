"""The KFP1 driver under the faults the simulated reader injects: each one becomes a typed error or is
recovered from, and no damaged or stale image is ever handed out."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest
from sims.fingerprint.fingerprint_process import FingerprintSimProcess

from hal.errors import DeviceBusy, DeviceGone, DeviceTimeout, ProtocolError
from hal.fingerprint.base import ImageKind
from hal.fingerprint.driver import KFP1Scanner
from hal.registry import resolve


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FingerprintSimProcess]:
    simulator = FingerprintSimProcess(tmp_path_factory.mktemp("kfp1-faults"))
    yield simulator
    simulator.close()


@pytest.fixture
def scanner(sim: FingerprintSimProcess) -> Iterator[KFP1Scanner]:
    sim.control("place", quality=0.9, identity="fault-person")
    device = resolve(sim.source, name="fingerprint")
    assert isinstance(device, KFP1Scanner)
    device.open()
    yield device
    device.close()
    sim.control("remove")
    assert not sim.control("info")["faults"], "a test left a fault armed"


def _looks_like_a_finger(pixels: np.ndarray) -> bool:
    return bool(pixels.min() < 100 and pixels.max() > 180 and pixels.std() > 25)


def test_busy_reader_raises_device_busy(scanner: KFP1Scanner, sim: FingerprintSimProcess) -> None:
    sim.control("fault", kind="busy")
    with pytest.raises(DeviceBusy):
        scanner.capture(timeout=10.0)
    assert scanner.capture(timeout=10.0).kind is ImageKind.FINAL


def test_stale_data_from_an_earlier_command_is_discarded(
    scanner: KFP1Scanner, sim: FingerprintSimProcess
) -> None:
    before = scanner.link_stats.stale_discarded
    sim.control("fault", kind="stale")
    image = scanner.capture(timeout=10.0)
    # The stale image was a flat grey 200 x 250 preview with another tag; what came back is the finger.
    assert image.kind is ImageKind.FINAL and (image.width, image.height) == (400, 500)
    assert _looks_like_a_finger(image.pixels)
    assert scanner.link_stats.stale_discarded > before


def test_a_corrupt_final_image_is_captured_again_never_accepted(
    scanner: KFP1Scanner, sim: FingerprintSimProcess
) -> None:
    sim.control("fault", kind="crc")
    image = scanner.capture(timeout=10.0)
    assert _looks_like_a_finger(image.pixels)
    stats = scanner.link_stats
    assert stats.corrupt_images == 1 and stats.capture_retries == 1


def test_persistent_corruption_is_reported_as_a_protocol_error(
    scanner: KFP1Scanner, sim: FingerprintSimProcess
) -> None:
    sim.control("fault", kind="crc", count=3)
    with pytest.raises(ProtocolError, match="CRC"):
        scanner.capture(timeout=10.0)
    assert scanner.link_stats.corrupt_images == 3
    assert scanner.capture(timeout=10.0).kind is ImageKind.FINAL


def test_a_stalled_image_endpoint_is_cleared_and_the_capture_retried(
    scanner: KFP1Scanner, sim: FingerprintSimProcess
) -> None:
    sim.control("fault", kind="stall")
    image = scanner.capture(timeout=10.0)
    assert _looks_like_a_finger(image.pixels)
    assert scanner.link_stats.stalls == 1


def test_an_unanswered_command_raises_device_timeout_and_the_next_one_works(
    scanner: KFP1Scanner, sim: FingerprintSimProcess
) -> None:
    sim.control("fault", kind="timeout")
    with pytest.raises(DeviceTimeout):
        scanner.ping()
    scanner.ping()


def test_a_capture_left_unanswered_lets_the_commands_before_it_through(
    scanner: KFP1Scanner, sim: FingerprintSimProcess
) -> None:
    # What the fault matrix arms: an idle ping between arming and the capture must not take it.
    sim.control("fault", kind="capture_timeout")
    scanner.ping()
    with pytest.raises(DeviceTimeout):
        scanner.capture(timeout=10.0)
    assert "capture_timeout" not in sim.control("info")["faults"]


def test_opening_drains_what_an_earlier_host_left_behind(sim: FingerprintSimProcess) -> None:
    sim.control("place", quality=0.9, identity="fault-person")
    device = resolve(sim.source, name="fingerprint")
    assert isinstance(device, KFP1Scanner)
    # The first command on open (ABORT) makes the reader queue an old response, event and image.
    sim.control("fault", kind="stale")
    device.open()
    try:
        scanner_stats = device.link_stats
        image = device.capture(timeout=10.0)
        assert _looks_like_a_finger(image.pixels)
        # Drained on open: the capture itself met nothing stale on the image and event endpoints.
        assert device.link_stats.stale_discarded == scanner_stats.stale_discarded
    finally:
        device.close()
        sim.control("remove")


def test_a_second_host_cannot_claim_a_reader_in_use(
    scanner: KFP1Scanner, sim: FingerprintSimProcess
) -> None:
    other = resolve(sim.source, name="fingerprint-2")
    with pytest.raises(DeviceBusy):
        other.open()
    scanner.ping()


def test_a_scan_resumed_after_its_reader_was_lost_and_rebound_raises_device_gone(
    sim: FingerprintSimProcess,
) -> None:
    # The supervisor's sequence on an unplug while a capture is between two previews: the link is
    # lost, the reader closed, a rebind attempted (failing: still unplugged). The scan then resumes;
    # it must end with DeviceGone, not wait for its own deadline while it holds the reader (what
    # made later captures DEVICE_BUSY in the fault soak). No finger on the platen: the scan streams
    # previews of the empty platen and cannot finish before the unplug (a placed finger's final image
    # could arrive first and end the scan normally).
    device = resolve(sim.source, name="fingerprint")
    assert isinstance(device, KFP1Scanner)
    lost = threading.Event()
    device.add_link_lost_listener(lambda error: lost.set())
    device.open()
    scan = device.scan(timeout=8.0)
    try:
        next(scan)
        sim.control("unplug")
        assert lost.wait(10)
        device.close()
        with pytest.raises(DeviceGone):
            device.open()
        with pytest.raises(DeviceGone):
            for _ in scan:
                pass
    finally:
        scan.close()
        sim.control("replug")
        sim.control("remove")
        device.close()

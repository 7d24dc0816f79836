"""The FingerprintScanner contract: what every fingerprint reader driver does, whatever carries its bytes.

Runs against the simulated KFP1 reader (its own process, USB over its Unix socket, the real driver through
pyusb) and - marked `hardware` - against the real reader named by KITD_HW_FINGERPRINT_SOURCE, where a
person puts a finger on the glass and lifts it when asked. Unplug/replug and faults need the simulator's
hands.

It runs a third way, from test_fingerprint_scanner_libusb.py: with KITD_USB_RECORD=FOLDER every test
gets its own simulator, which records the test's session (usbmon pcap + umockdev description) into
FOLDER/TEST_NAME; with KITD_USB_REPLAY=FOLDER/TEST_NAME one test runs under umockdev-run on pyusb's
libusb1 backend and a `/dev/bus/usb` node that replays that recording (docs/protocols/usb-sim.md §5). What the simulator's hands did is in the
recording then; what follows an unplug is not (the node stays), so those tests stop at the loss.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sims.fingerprint.fingerprint_process import FingerprintSimProcess

from hal.device import DeviceKind
from hal.errors import DeviceError, DeviceGone, DeviceTimeout
from hal.fingerprint.base import FingerOn, FingerprintImage, FingerprintScanner, ImageKind
from hal.registry import resolve

RECORD = os.environ.get("KITD_USB_RECORD", "")
REPLAY = os.environ.get("KITD_USB_REPLAY", "")
# The simulated reader as libusb finds it in the replayed testbed; the serial exercises string lookups.
REPLAY_SOURCE = "kfp1+usb://1d6b:0104?serial=KFP1-0001"


class Rig:
    """Puts a finger on the reader: the simulator's control API, a person for the real reader, or
    nothing under replay (the recording holds what the simulator's hands did)."""

    def __init__(
        self,
        source: str,
        sim: FingerprintSimProcess | None,
        *,
        replayed: bool = False,
        notes: Path | None = None,
    ) -> None:
        self.source = source
        self.sim = sim
        self.replayed = replayed
        self._notes = notes

    def place(self, **knobs: object) -> None:
        if self.sim is not None:
            self.sim.control("place", **knobs)
        elif not self.replayed:
            print("\n>>> put a finger flat on the reader", file=sys.stderr, flush=True)

    def remove(self) -> None:
        if self.sim is not None:
            self.sim.control("remove")
        elif not self.replayed:
            print("\n>>> lift the finger from the reader", file=sys.stderr, flush=True)

    def act(self, command: str, **args: object) -> None:
        """A simulator control command (fault, unplug, replug); skips the test on a real reader."""
        if self.sim is not None:
            self.sim.control(command, **args)
        elif not self.replayed:
            pytest.skip("needs the simulator's hands")

    def note(self, name: str, value: Any) -> None:
        """Keeps what the test saw, so that the recorded and the replayed run can be compared."""
        if self._notes is not None:
            with self._notes.open("a") as notes:
                notes.write(json.dumps({name: value}) + "\n")


def _digest(image: FingerprintImage) -> str:
    return hashlib.sha256(image.pixels.tobytes()).hexdigest()


def _rig_params() -> list[Any]:
    if REPLAY:
        return ["replay"]
    if RECORD:
        return ["sim"]
    return ["sim", pytest.param("hardware", marks=pytest.mark.hardware)]


def _rig_scope(fixture_name: str, config: pytest.Config) -> str:
    # Recording: every test its own simulator, so that every session is a recording of its own.
    return "function" if RECORD else "module"


@pytest.fixture(scope=_rig_scope, params=_rig_params())
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    if request.param == "replay":
        yield Rig(REPLAY_SOURCE, None, replayed=True, notes=Path(REPLAY) / "notes-replay.jsonl")
        return
    if request.param == "hardware":
        source = os.environ.get("KITD_HW_FINGERPRINT_SOURCE")
        if not source:
            pytest.skip(
                "set KITD_HW_FINGERPRINT_SOURCE to the reader's source, e.g. kfp1+usb://1d6b:0104"
            )
        yield Rig(source, None)
        return
    if RECORD:
        folder = Path(RECORD) / request.function.__name__
        sim = FingerprintSimProcess(tmp_path_factory.mktemp("kfp1"), record=str(folder))
        notes = folder / "notes-sim.jsonl"
        source = sim.source + "?serial=KFP1-0001"
    else:
        sim = FingerprintSimProcess(tmp_path_factory.mktemp("kfp1"))
        notes, source = None, sim.source
    try:
        yield Rig(source, sim, notes=notes)
    finally:
        sim.close()


@pytest.fixture
def scanner(rig: Rig) -> Iterator[FingerprintScanner]:
    device = resolve(rig.source, name="fingerprint", kind=DeviceKind.FINGERPRINT_SCANNER)
    assert isinstance(device, FingerprintScanner)
    info = device.open()
    identity = {k: v for k, v in info.details.items() if k != "transport"}
    rig.note("identity", [info.vendor, info.model, info.serial, info.firmware, identity])
    yield device
    device.close()
    rig.remove()


def test_opening_reports_identity_and_a_500_ppi_sensor(scanner: FingerprintScanner) -> None:
    info = scanner.info
    assert info.vendor and info.model and info.serial and info.firmware
    assert info.details["ppi"] == "500"
    assert (info.details["width"], info.details["height"]) == ("400", "500")
    assert info.details["usb_speed"] in ("full", "high", "super")


def test_ping_and_led_are_answered(scanner: FingerprintScanner, rig: Rig) -> None:
    scanner.ping()
    assert scanner.is_open
    scanner.set_led(on=True)
    if rig.sim is not None:  # a real reader's LED is checked by the person at the rig
        assert rig.sim.control("info")["led"] is True
    scanner.set_led(on=False)
    if rig.sim is not None:
        assert rig.sim.control("info")["led"] is False


def test_capture_returns_a_final_400_by_500_image_at_500_ppi(
    scanner: FingerprintScanner, rig: Rig
) -> None:
    rig.place(quality=0.9)
    image = scanner.capture(timeout=20.0)
    assert image.kind is ImageKind.FINAL
    assert (image.width, image.height, image.ppi) == (400, 500, 500)
    # A finger is on it: dark ridges on a light glass.
    assert image.pixels.min() < 100 < 180 < image.pixels.max()
    rig.note("final", _digest(image))


def test_scan_reports_the_finger_once_streams_previews_and_ends_with_the_final_image(
    scanner: FingerprintScanner, rig: Rig
) -> None:
    rig.place(quality=0.9)
    # A threshold above any score makes the reader stream previews until its settle time passes.
    events = list(scanner.scan(timeout=20.0, auto_capture_threshold=100, preview=True))
    # The finger is reported once; events and images come on separate endpoints, so a preview may
    # overtake it (docs/protocols/kfp1.md §8).
    assert [type(e) for e in events if not isinstance(e, FingerprintImage)] == [FingerOn]
    final = events[-1]
    assert isinstance(final, FingerprintImage) and final.kind is ImageKind.FINAL
    previews = [
        e for e in events if isinstance(e, FingerprintImage) and e.kind is ImageKind.PREVIEW
    ]
    assert previews
    # Previews show the whole window at a lower resolution.
    assert all(p.width * final.ppi == final.width * p.ppi for p in previews)
    assert all(p.ppi < final.ppi for p in previews)
    preview_ids = [p.frame_id for p in previews]
    assert preview_ids == sorted(set(preview_ids))
    # The final image is one of the sensor frames seen so far, never an older one.
    assert final.frame_id >= preview_ids[0]
    rig.note("images", [[p.frame_id, _digest(p)] for p in previews] + [_digest(final)])


def test_no_finger_ends_the_capture_with_a_timeout(scanner: FingerprintScanner, rig: Rig) -> None:
    rig.remove()
    with pytest.raises(DeviceTimeout):
        scanner.capture(timeout=1.0)
    scanner.ping()


def test_a_scan_left_early_is_aborted_and_the_next_capture_works(
    scanner: FingerprintScanner, rig: Rig
) -> None:
    rig.place(quality=0.9)
    events = scanner.scan(timeout=20.0, auto_capture_threshold=100, preview=True)
    # A preview may overtake the finger event (separate endpoints, docs/protocols/kfp1.md §8).
    first = next(e for e in events if not isinstance(e, FingerprintImage))
    assert isinstance(first, FingerOn)
    events.close()
    image = scanner.capture(timeout=20.0)
    assert image.kind is ImageKind.FINAL
    rig.note("final", _digest(image))


def test_close_then_open_works_again(scanner: FingerprintScanner, rig: Rig) -> None:
    serial = scanner.info.serial
    scanner.close()
    assert scanner.open().serial == serial
    rig.place(quality=0.9)
    assert scanner.capture(timeout=20.0).kind is ImageKind.FINAL


def test_a_stalled_image_endpoint_is_cleared_and_the_capture_repeated(
    scanner: FingerprintScanner, rig: Rig
) -> None:
    rig.place(quality=0.9)
    rig.act("fault", kind="stall")
    image = scanner.capture(timeout=20.0)
    assert image.kind is ImageKind.FINAL and (image.width, image.height) == (400, 500)
    assert image.pixels.min() < 100 < 180 < image.pixels.max()
    rig.note("final", _digest(image))


def test_a_damaged_final_image_is_never_handed_out_and_the_capture_repeated(
    scanner: FingerprintScanner, rig: Rig
) -> None:
    rig.place(quality=0.9)
    rig.act("fault", kind="crc")
    image = scanner.capture(timeout=20.0)
    assert image.kind is ImageKind.FINAL and (image.width, image.height) == (400, 500)
    assert image.pixels.min() < 100 < 180 < image.pixels.max()
    rig.note("final", _digest(image))


def test_unplug_mid_capture_raises_device_gone_and_reports_the_link_lost(
    scanner: FingerprintScanner, rig: Rig
) -> None:
    lost: list[DeviceError] = []
    noticed = threading.Event()
    scanner.add_link_lost_listener(lambda error: (lost.append(error), noticed.set()))
    rig.place(quality=0.9)
    rig.act("fault", kind="unplug_mid_transfer")
    try:
        with pytest.raises(DeviceGone):
            scanner.capture(timeout=20.0)
        assert noticed.wait(10.0)
        assert isinstance(lost[0], DeviceGone)
        if rig.replayed:
            return  # the replayed node stays; its vanishing is the simulator's to show
        scanner.close()
        with pytest.raises(DeviceGone):
            scanner.open()
    finally:
        rig.act("replug")
    scanner.open()
    assert scanner.capture(timeout=20.0).kind is ImageKind.FINAL


def test_unplug_while_idle_is_noticed_without_a_capture(
    scanner: FingerprintScanner, rig: Rig
) -> None:
    noticed = threading.Event()
    scanner.add_link_lost_listener(lambda error: noticed.set())
    # A transfer once the listener is in place: a replay cannot deliver the unplug before it.
    scanner.ping()
    rig.act("unplug")
    try:
        assert noticed.wait(10.0)
        if rig.replayed:
            return  # the replayed node stays; its vanishing is the simulator's to show
        with pytest.raises(DeviceGone):
            scanner.ping()
    finally:
        rig.act("replug")
    scanner.close()
    scanner.open()
    scanner.ping()


def test_image_file_placement_comes_back_unchanged(
    scanner: FingerprintScanner, rig: Rig, tmp_path: Path
) -> None:
    import cv2
    import numpy as np

    y, x = np.mgrid[0:500, 0:400]
    pattern = (128 + 100 * np.sin(x / 1.5) * np.cos(y / 2.0)).astype(np.uint8)
    path = tmp_path / "print.png"
    cv2.imwrite(str(path), pattern)
    rig.act("place", image=str(path))
    # The best frame once the finger has settled (the first frames land with less contrast).
    image = scanner.capture(timeout=20.0, auto_capture_threshold=100)
    # Only the sensor's own noise (sigma 2 grey levels) separates the two.
    difference = np.abs(image.pixels.astype(int) - pattern.astype(int))
    assert float(difference.mean()) < 3.0
    rig.note("final", _digest(image))

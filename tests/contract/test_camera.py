"""The Camera contract: what every camera driver must do, run against the simulator and, marked
`hardware`, against the real camera named by KITD_HW_CAMERA_SOURCE (with KITD_HARDWARE=1).

Fault tests (unplug, corrupt frames, stall) need the simulator's control API and run on it only.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sims.camera.camera_process import SimulatedCamera

from hal.camera.base import Camera
from hal.errors import DeviceError, DeviceGone, DeviceTimeout
from hal.registry import resolve

WIDTH, HEIGHT = 1280, 720


@dataclass
class Rig:
    source: str
    size: tuple[int, int]
    sim: SimulatedCamera | None


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatedCamera]:
    with SimulatedCamera({"width": WIDTH, "height": HEIGHT}) as sim:
        yield sim


@pytest.fixture(params=["simulator", pytest.param("hardware", marks=pytest.mark.hardware)])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    if request.param == "hardware":
        source = os.environ.get("KITD_HW_CAMERA_SOURCE", "")
        if not source:
            pytest.skip("set KITD_HW_CAMERA_SOURCE, e.g. opencv:/dev/kitd-camera?w=1920&h=1080")
        device = resolve(source)
        size = (
            device.source.int_option("w", 1920),
            device.source.int_option("h", 1080),
        )
        yield Rig(source, size, None)
        return
    sim: SimulatedCamera = request.getfixturevalue("simulator")
    yield Rig(sim.source, (WIDTH, HEIGHT), sim)
    # Leave the simulator as the next test expects it.
    sim.control("replug")
    sim.control("fault", kind="clear")
    sim.control("scene")


@pytest.fixture
def camera(rig: Rig) -> Iterator[Camera]:
    device = resolve(rig.source, name="camera")
    assert isinstance(device, Camera)
    device.open()
    yield device
    device.close()


def simulator_of(rig: Rig) -> SimulatedCamera:
    if rig.sim is None:
        pytest.skip("fault injection needs the simulator")
    return rig.sim


def test_open_reports_the_identity(rig: Rig, camera: Camera) -> None:
    info = camera.info
    assert info.model
    if rig.sim is not None:
        identity = rig.sim.identity
        assert (info.vendor, info.model, info.serial, info.firmware) == (
            identity["vendor"],
            identity["model"],
            identity["serial"],
            identity["firmware"],
        )


def test_frames_arrive_at_the_configured_size(rig: Rig, camera: Camera) -> None:
    frames = camera.frames(timeout=5.0)
    for _ in range(5):
        frame = next(frames)
        assert frame.size == rig.size
        assert frame.image.dtype.name == "uint8"
        assert frame.image.shape == (rig.size[1], rig.size[0], 3)


def test_frame_ids_increase_and_never_repeat(camera: Camera) -> None:
    ids = [frame.frame_id for _, frame in zip(range(30), camera.frames(timeout=5.0), strict=False)]
    assert all(later > earlier for earlier, later in itertools.pairwise(ids))


def test_snapshot_returns_the_newest_frame(rig: Rig, camera: Camera) -> None:
    first = camera.snapshot(timeout=5.0)
    later = next(frame for frame in camera.frames(timeout=5.0) if frame.frame_id > first.frame_id)
    assert camera.snapshot(timeout=5.0).frame_id >= later.frame_id
    assert first.size == rig.size


def test_close_then_open_works_again(rig: Rig) -> None:
    device = resolve(rig.source, name="camera")
    assert isinstance(device, Camera)
    for _ in range(2):
        device.open()
        assert device.snapshot(timeout=5.0).size == rig.size
        device.close()
        assert not device.is_open


def test_unplug_mid_stream_reports_link_lost_and_frames_stop(rig: Rig, camera: Camera) -> None:
    sim = simulator_of(rig)
    lost: list[DeviceError] = []
    noticed = threading.Event()

    def on_lost(error: DeviceError) -> None:
        lost.append(error)
        noticed.set()

    camera.add_link_lost_listener(on_lost)
    frames = camera.frames(timeout=5.0)
    next(frames)
    sim.control("unplug")
    assert noticed.wait(10.0)
    assert isinstance(lost[0], DeviceGone)
    with pytest.raises(DeviceGone):
        for _ in frames:
            pass
    with pytest.raises(DeviceGone):
        camera.snapshot(timeout=1.0)


def test_open_while_unplugged_raises_device_gone(rig: Rig) -> None:
    sim = simulator_of(rig)
    sim.control("unplug")
    device = resolve(rig.source, name="camera")
    with pytest.raises(DeviceGone, match="does not answer"):
        device.open()


def test_replug_then_close_and_open_serves_frames_again(rig: Rig, camera: Camera) -> None:
    sim = simulator_of(rig)
    sim.control("unplug")
    with pytest.raises(DeviceGone):
        for _ in camera.frames(timeout=10.0):
            pass
    sim.control("replug")
    camera.close()
    camera.open()
    assert camera.snapshot(timeout=5.0).size == rig.size


def test_disconnect_is_reported_as_link_lost(rig: Rig, camera: Camera) -> None:
    sim = simulator_of(rig)
    noticed = threading.Event()
    camera.add_link_lost_listener(lambda _error: noticed.set())
    camera.snapshot(timeout=5.0)
    sim.control("fault", kind="disconnect")
    assert noticed.wait(10.0)


def test_corrupt_frames_are_skipped_and_counted(rig: Rig, camera: Camera) -> None:
    sim = simulator_of(rig)
    frames = camera.frames(timeout=5.0)
    assert next(frames).corrupt_frames == 0
    sim.control("fault", kind="corrupt", count=3)
    for frame in frames:
        # Every frame handed out is whole, whatever came over the wire.
        assert frame.size == rig.size
        if frame.corrupt_frames >= 3:
            break
    assert frame.corrupt_frames == 3
    assert sim.control("stats")["corrupt_sent"] == 3


def test_stall_raises_device_timeout_from_frames(rig: Rig, camera: Camera) -> None:
    sim = simulator_of(rig)
    frames = camera.frames(timeout=0.5)
    next(frames)
    sim.control("fault", kind="stall", duration=30.0)
    with pytest.raises(DeviceTimeout):
        # At most the frames already on the wire arrive before the stall shows.
        for _ in range(10):
            next(frames)
    sim.control("fault", kind="clear")
    assert next(camera.frames(timeout=5.0)).size == rig.size

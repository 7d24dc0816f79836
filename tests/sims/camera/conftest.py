"""One camera simulator process and one opened driver for the scene tests (both are slow to start)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sims.camera.camera_process import Shooter, SimulatedCamera

from hal.camera.opencv import OpenCVCamera
from hal.registry import resolve


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedCamera]:
    with SimulatedCamera({"width": 1280, "height": 720}) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def camera(sim: SimulatedCamera) -> Iterator[OpenCVCamera]:
    device = resolve(sim.source, name="camera")
    assert isinstance(device, OpenCVCamera)
    device.open()
    yield device
    device.close()


@pytest.fixture
def shooter(sim: SimulatedCamera, camera: OpenCVCamera) -> Iterator[Shooter]:
    yield Shooter(sim, camera)
    sim.control("scene")

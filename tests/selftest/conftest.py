"""Fixtures for the self-test tests: the real simulators, shared by the tests of a session and put back
to a healthy state before each test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitsim.control import ControlError
from kitsim.harness import SimulatorSet


@pytest.fixture(scope="session")
def simulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorSet]:
    names = ["camera", "signature_pad", "fingerprint"]
    workdir = tmp_path_factory.mktemp("kitsim")
    simulators = SimulatorSet(workdir, names)
    simulators.start()
    simulators.serve_control()
    yield simulators
    simulators.stop()


@pytest.fixture
def sims(simulators: SimulatorSet) -> Iterator[SimulatorSet]:
    """The simulators, healthy: default scene, no faults, everything plugged in."""
    yield simulators
    for name in simulators.names:
        with contextlib.suppress(ControlError):
            simulators.control(name, "replug")
    simulators.control("camera", "scene")
    simulators.control("camera", "fault", kind="clear")
    simulators.control("signature_pad", "fault", kind="none")
    simulators.control("fingerprint", "remove")
    simulators.control("fingerprint", "platen", residue=False)


@pytest.fixture
def sim_dir(simulators: SimulatorSet) -> Path:
    return simulators.workdir

"""A capture belongs to the opening of the reader it started on: when that opening ends, by close or by
a lost link, the capture ends at once with DeviceGone, whatever happens to the reader afterwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sims.fingerprint.fingerprint_process import FingerprintSimProcess

from hal.errors import DeviceError, DeviceGone
from hal.fingerprint.driver import KFP1Scanner
from hal.registry import resolve

CAPTURE_TIMEOUT_S = 30.0


@pytest.fixture
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FingerprintSimProcess]:
    simulator = FingerprintSimProcess(tmp_path_factory.mktemp("kfp1-openings"))
    yield simulator
    simulator.close()


def capture_in_background(scanner: KFP1Scanner) -> tuple[threading.Thread, list[BaseException]]:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            scanner.capture(timeout=CAPTURE_TIMEOUT_S)
        except DeviceError as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, raised


def wait_until_capturing(sim: FingerprintSimProcess) -> None:
    deadline = time.monotonic() + 10
    while not sim.control("info").get("capturing"):
        assert time.monotonic() < deadline, "the reader never started the capture"
        time.sleep(0.01)


def test_closing_the_reader_ends_a_capture_waiting_on_it(sim: FingerprintSimProcess) -> None:
    scanner = resolve(sim.source, name="fingerprint")
    assert isinstance(scanner, KFP1Scanner)
    scanner.open()
    thread, raised = capture_in_background(scanner)
    wait_until_capturing(sim)
    started = time.monotonic()
    scanner.close()
    thread.join(CAPTURE_TIMEOUT_S)
    assert not thread.is_alive()
    assert len(raised) == 1 and isinstance(raised[0], DeviceGone)
    assert time.monotonic() - started < CAPTURE_TIMEOUT_S / 2  # ended by the close, not its timeout


def test_a_lost_link_ends_the_capture_even_when_the_reader_is_opened_again(
    sim: FingerprintSimProcess,
) -> None:
    scanner = resolve(sim.source, name="fingerprint")
    assert isinstance(scanner, KFP1Scanner)
    lost = threading.Event()
    scanner.add_link_lost_listener(lambda error: lost.set())
    scanner.open()
    thread, raised = capture_in_background(scanner)
    wait_until_capturing(sim)
    sim.control("unplug")
    assert lost.wait(10)
    # What the supervisor does next: close, and try to open again (the reader is still away).
    scanner.close()
    with pytest.raises(DeviceGone):
        scanner.open()
    thread.join(CAPTURE_TIMEOUT_S)
    assert not thread.is_alive()
    assert len(raised) == 1 and isinstance(raised[0], DeviceGone)
    sim.control("replug")

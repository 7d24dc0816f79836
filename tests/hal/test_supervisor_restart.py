"""A supervisor whose loop fails marks its device fault with the error, logs it and starts again."""

from __future__ import annotations

import logging

import pytest

from hal.events import Cause, DeviceState, EventHub, Reason
from hal.fingerprint.driver import KFP1Scanner
from hal.source import parse_source
from hal.supervisor import DeviceSupervisor


def test_a_supervisor_failing_on_a_bad_source_marks_the_device_fault_and_restarts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Built without the registry's check, so opening it raises SourceError (not a DeviceError), the
    # failure that used to end the supervisor thread and leave the daemon without its reader.
    scanner = KFP1Scanner(parse_source("kfp1+usb://zz:qq"), name="fingerprint")
    hub = EventHub()
    events = hub.subscribe()
    supervisor = DeviceSupervisor(scanner, hub, min_restart_backoff=0.01, max_restart_backoff=0.05)
    with caplog.at_level(logging.ERROR, logger="hal.supervisor"):
        supervisor.start()
        try:
            event = events.get(timeout=10)
            assert event is not None
            assert event.status.state is DeviceState.FAULT
            assert "SourceError" in event.status.detail
            assert "expected //VID:PID" in event.status.detail
            # The cause travels as a code, for the layers above to word; the detail stays data.
            assert event.reason == Reason(Cause.SUPERVISOR_FAILED)
            assert event.status.cause is Cause.SUPERVISOR_FAILED
            assert supervisor.wait_restarts(3, timeout=10), "the loop must be started again"
            assert supervisor.status.state is DeviceState.FAULT
        finally:
            supervisor.stop()
    failures = [r for r in caplog.records if r.getMessage() == "device supervisor failed"]
    assert len(failures) >= 3
    assert all(r.device == "fingerprint" for r in failures)
    assert "SourceError" in failures[0].error


def test_a_stopped_supervisor_does_not_restart_after_a_failure() -> None:
    scanner = KFP1Scanner(parse_source("kfp1+usb://zz:qq"), name="fingerprint")
    supervisor = DeviceSupervisor(scanner, EventHub(), min_restart_backoff=60.0)
    supervisor.start()
    assert supervisor.wait_restarts(1, timeout=10)
    supervisor.stop(timeout=5)  # wakes the restart backoff at once
    assert supervisor._thread is not None and not supervisor._thread.is_alive()
    assert supervisor.restarts == 1

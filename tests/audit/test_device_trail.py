"""A working device that is lost is an audit record; other transitions are not (kitd.audit.device_trail)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hal.device import DeviceKind
from hal.events import Cause, DeviceEvent, DeviceState, DeviceStatus, Reason
from kitd.audit.device_trail import DeviceTrail
from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind
from kitd.keys.file_key import FileKeySigner


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    signer = FileKeySigner.generate(tmp_path / "keys" / "kit.key.pem")
    return AuditLog(tmp_path / "audit.log", signer, checkpoint_every=100)


def event(previous: DeviceState, state: DeviceState, detail: str = "") -> DeviceEvent:
    status = DeviceStatus(
        "fingerprint", DeviceKind.FINGERPRINT_SCANNER, state, "kfp1:test", None, detail, time.time()
    )
    return DeviceEvent(1, time.time(), status, previous, Reason(Cause.LINK_LOST))


@pytest.mark.parametrize("previous", [DeviceState.READY, DeviceState.BUSY])
@pytest.mark.parametrize("lost", [DeviceState.ABSENT, DeviceState.FAULT])
def test_a_working_device_that_is_lost_is_recorded_with_its_state_and_detail(
    log: AuditLog, previous: DeviceState, lost: DeviceState
) -> None:
    DeviceTrail(log).on_device_event(event(previous, lost, "reader unplugged"))
    (record,) = log.records_since(-1)
    assert record.kind is AuditKind.DEVICE_FAULT
    assert record.fields == {
        "device": "fingerprint",
        "state": lost.value,
        "detail": "reader unplugged",
    }


@pytest.mark.parametrize(
    ("previous", "state"),
    [
        (DeviceState.ABSENT, DeviceState.READY),  # back again
        (DeviceState.READY, DeviceState.BUSY),  # at work
        (DeviceState.ABSENT, DeviceState.FAULT),  # was not working anyway
        (DeviceState.FAULT, DeviceState.ABSENT),
    ],
)
def test_other_transitions_are_not_recorded(
    log: AuditLog, previous: DeviceState, state: DeviceState
) -> None:
    DeviceTrail(log).on_device_event(event(previous, state))
    assert log.records_since(-1) == ()

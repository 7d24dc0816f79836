"""A visit follows its devices' state now: a step is paused while its device is away and pending again as
soon as the device is back, whether or not the device event has reached the visit yet."""

from __future__ import annotations

import time
from pathlib import Path

from hal.device import DeviceKind
from hal.events import DeviceState, DeviceStatus
from kitd.policy import load_policies
from kitd.session.manager import SessionManager
from kitd.session.model import CaptureKind, StepState
from kitd.visits import Visits
from support.deviceless import deviceless_visits


def camera(state: DeviceState) -> DeviceStatus:
    detail = "" if state is DeviceState.READY else "camera unplugged"
    return DeviceStatus(
        "camera", DeviceKind.CAMERA, state, "opencv:test", None, detail, time.time()
    )


def visits_with_camera(tmp_path: Path, states: dict[CaptureKind, DeviceStatus]) -> Visits:
    return deviceless_visits(
        SessionManager(load_policies(), tmp_path / "sessions.json"), device_status=states.get
    )


def test_a_step_reads_paused_while_its_device_is_away_before_any_event(tmp_path: Path) -> None:
    states = {CaptureKind.FACE: camera(DeviceState.ABSENT)}
    visits = visits_with_camera(tmp_path, states)
    session = visits.create("be-kids-id", 9, "op-1")
    assert visits.get(session.session_id).step_for(CaptureKind.FACE).state is StepState.PAUSED


def test_a_paused_step_reads_pending_once_its_device_is_back_before_the_event(
    tmp_path: Path,
) -> None:
    states = {CaptureKind.FACE: camera(DeviceState.ABSENT)}
    visits = visits_with_camera(tmp_path, states)
    session = visits.create("be-kids-id", 9, "op-1")
    assert visits.get(session.session_id).step_for(CaptureKind.FACE).state is StepState.PAUSED
    states[CaptureKind.FACE] = camera(DeviceState.READY)
    assert visits.get(session.session_id).step_for(CaptureKind.FACE).state is StepState.PENDING

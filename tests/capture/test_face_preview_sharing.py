"""Face previews of one visit share one assessment of each camera frame (kitd.capture.face), on the
camera simulator over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from sims.camera.camera_process import SimulatedCamera

from hal.events import DeviceState, EventHub
from hal.registry import resolve
from hal.supervisor import DeviceSupervisor
from kitd.capture.face import FaceCapture
from kitd.policy import load_policies
from kitd.quality.face import FaceAssessment, FaceAssessor, FaceThresholds
from kitd.session.manager import SessionManager
from kitd.session.session import Session
from support.deviceless import deviceless_visits


class CountingAssessor(FaceAssessor):
    """The real assessor, counting the frames it assessed."""

    def __init__(self, thresholds: FaceThresholds, counts: list[int]) -> None:
        super().__init__(thresholds)
        self._counts = counts

    def assess(self, image: NDArray[np.uint8], *args: object, **kwargs: object) -> FaceAssessment:
        self._counts.append(1)
        return super().assess(image, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def camera() -> Iterator[DeviceSupervisor]:
    with SimulatedCamera({"width": 640, "height": 480}) as sim:
        supervisor = DeviceSupervisor(resolve(sim.source, name="camera"), EventHub())
        supervisor.start()
        assert supervisor.wait_for(DeviceState.READY, 10)
        yield supervisor
        supervisor.stop()


@pytest.fixture
def session(tmp_path: Path) -> Session:
    sessions = SessionManager(load_policies(), tmp_path / "sessions.json")
    return deviceless_visits(sessions).create("be-eid", 40, "op-1")


def test_two_previews_assess_each_frame_once(camera: DeviceSupervisor, session: Session) -> None:
    assessed: list[int] = []
    built: list[int] = []

    def factory(thresholds: FaceThresholds) -> FaceAssessor:
        built.append(1)
        return CountingAssessor(thresholds, assessed)

    faces = FaceCapture(camera, factory)
    first, second = faces.preview(session, 320), faces.preview(session, 320)
    ids: tuple[list[int], list[int]] = ([], [])
    for _ in range(10):
        ids[0].append(next(first).frame_id)
        ids[1].append(next(second).frame_id)
    first.close()
    second.close()
    delivered = len(set(ids[0]) | set(ids[1]))
    assert len(built) == 1
    # One assessment per frame delivered to either stream (plus at most the one in flight).
    assert len(assessed) <= delivered + 1
    assert ids[0] == sorted(ids[0]) and ids[1] == sorted(ids[1])


def test_previews_at_different_sizes_get_frames_of_their_size(
    camera: DeviceSupervisor, session: Session
) -> None:
    faces = FaceCapture(camera)
    small, large = faces.preview(session, 160), faces.preview(session, 480)
    sizes = {next(small).width, next(large).width}
    small.close()
    large.close()
    assert sizes == {160, 480}


def test_a_preview_started_after_the_others_ended_runs_again(
    camera: DeviceSupervisor, session: Session
) -> None:
    faces = FaceCapture(camera)
    first = faces.preview(session, 320)
    frame = next(first)
    first.close()
    again = faces.preview(session, 320)
    assert next(again).frame_id >= frame.frame_id
    again.close()


def test_a_camera_error_ends_every_preview_reading_it(
    camera: DeviceSupervisor, session: Session
) -> None:
    gate = threading.Event()

    class FailingAssessor(FaceAssessor):
        def assess(self, *args: object, **kwargs: object) -> FaceAssessment:
            gate.wait(10)
            raise RuntimeError("the detector broke")

    faces = FaceCapture(camera, FailingAssessor)
    first, second = faces.preview(session, 320), faces.preview(session, 320)
    errors: list[BaseException] = []

    def read(stream: Iterator[object]) -> None:
        try:
            next(stream)
        except RuntimeError as exc:
            errors.append(exc)

    readers = [threading.Thread(target=read, args=(s,)) for s in (first, second)]
    for thread in readers:
        thread.start()
    gate.set()
    for thread in readers:
        thread.join(10)
    assert [str(e) for e in errors] == ["the detector broke"] * 2

"""The device fault matrix over the API: for each device, a stall and garbage on the wire while it
captures (and a cut in the middle of a fingerprint image transfer), each with the outcome the visit
must see, and the device ready again afterwards.

Unplugs mid-stream are in tests/e2e/test_visits.py (one per device); 100 unplug/replug cycles per
device with thread and fd counts and replug-to-ready times are `scripts/soak faults`
(docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from hal.camera.base import FRAME_GAP_S
from kit.v1 import capture_service_pb2 as pb
from support.kit import KitUnderTest
from support.visit import RIGHT_INDEX, Visit


@dataclass(frozen=True)
class Fault:
    device: str
    fault: dict[str, Any]
    # None: the capture completes despite the fault; else the gRPC code and error reason it ends with.
    ends_with: tuple[grpc.StatusCode, str] | None
    clear: dict[str, Any] = field(default_factory=dict)
    # Names the case where one device has two cases of the same fault kind.
    name: str = ""

    @property
    def id(self) -> str:
        return f"{self.device}-{self.name or self.fault['kind']}"


MATRIX = [
    # The camera's stream pauses for less than the gap a stream may have: auto capture waits for
    # frames and takes the photo after.
    Fault("camera", {"kind": "stall", "duration": FRAME_GAP_S / 2}, None, {"kind": "clear"}),
    # A longer pause ends the capture as a device timeout; the visit goes on.
    Fault(
        "camera",
        {"kind": "stall", "duration": FRAME_GAP_S * 2},
        (grpc.StatusCode.DEADLINE_EXCEEDED, "ERROR_REASON_DEVICE_TIMEOUT"),
        {"kind": "clear"},
        name="stall_long",
    ),
    # Broken JPEG frames are skipped and counted, never shown or captured.
    Fault("camera", {"kind": "corrupt", "count": 20}, None, {"kind": "clear"}),
    # A stalled image endpoint is cleared and the capture retried.
    Fault("fingerprint", {"kind": "stall"}, None),
    # Every final image damaged (the first and both recaptures): never accepted, the capture ends
    # as a protocol error. Exactly as many as the driver takes, so none is left for the next case.
    Fault(
        "fingerprint",
        {"kind": "crc", "count": 3},
        (grpc.StatusCode.DATA_LOSS, "ERROR_REASON_PROTOCOL_ERROR"),
    ),
    # The reader never answers the CAPTURE command. (Not the next command, whichever it is: under load
    # the supervisor's idle ping could come first and take the fault, and the capture would succeed.)
    Fault(
        "fingerprint",
        {"kind": "capture_timeout"},
        (grpc.StatusCode.DEADLINE_EXCEEDED, "ERROR_REASON_DEVICE_TIMEOUT"),
    ),
    # The cable goes in the middle of the final image.
    Fault(
        "fingerprint",
        {"kind": "unplug_mid_transfer"},
        (grpc.StatusCode.UNAVAILABLE, "ERROR_REASON_DEVICE_GONE"),
    ),
    # Line noise between frames costs nothing.
    Fault("signature_pad", {"kind": "noise", "bytes": 200}, None, {"kind": "none"}),
    # Heartbeats missing while pen frames flow: the link is alive.
    Fault("signature_pad", {"kind": "heartbeat_stop", "duration": 3.0}, None, {"kind": "none"}),
    # Every frame damaged for seconds: the link is dead, the pad is reported gone.
    Fault(
        "signature_pad",
        {"kind": "corrupt", "count": 5},
        (grpc.StatusCode.UNAVAILABLE, "ERROR_REASON_DEVICE_GONE"),
        {"kind": "none"},
    ),
]


def reason_of(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, error
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return str(info.reason)


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KitUnderTest]:
    with KitUnderTest(tmp_path_factory.mktemp("faults")) as running:
        yield running


def capture(visit: Visit, device: str) -> pb.Step:
    if device == "camera":
        visit.face()
        return visit.step("face")
    if device == "fingerprint":
        visit.finger(RIGHT_INDEX)
        return next(s for s in visit.refresh().steps if s.finger == RIGHT_INDEX)
    visit.sign()
    return visit.step("signature")


@pytest.mark.parametrize("case", MATRIX, ids=lambda case: case.id)
def test_device_fault_during_capture(kit: KitUnderTest, case: Fault) -> None:
    assert kit.watch is not None
    visit = Visit(kit)
    kit.ctl(case.device, "fault", **case.fault)
    try:
        if case.ends_with is None:
            step = capture(visit, case.device)
            assert step.state == pb.STEP_STATE_DONE
        else:
            with pytest.raises(grpc.RpcError) as caught:
                capture(visit, case.device)
            assert (caught.value.code(), reason_of(caught.value)) == case.ends_with
            # The visit goes on: the session is still active for another attempt.
            assert visit.refresh().state == pb.SESSION_STATE_ACTIVE
    finally:
        if case.clear:
            kit.ctl(case.device, "fault", **case.clear)
        if case.device == "fingerprint" and case.fault["kind"] == "unplug_mid_transfer":
            kit.ctl("fingerprint", "replug")
        visit.cancel()
    assert kit.watch.wait(case.device, "ready", 10)
    if case.device == "fingerprint":
        assert not kit.ctl("fingerprint", "info")["faults"], "the case left a fault armed"

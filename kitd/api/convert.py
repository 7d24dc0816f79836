"""Conversions from domain values (HAL statuses, check results) to kit.v1 messages."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from hal.device import DeviceKind
from hal.events import DeviceEvent, DeviceState, DeviceStatus
from kit.v1 import types_pb2 as pb
from kitd.quality.check import CheckResult

DEVICE_KINDS = {
    DeviceKind.CAMERA: pb.DEVICE_KIND_CAMERA,
    DeviceKind.FINGERPRINT_SCANNER: pb.DEVICE_KIND_FINGERPRINT_SCANNER,
    DeviceKind.SIGNATURE_PAD: pb.DEVICE_KIND_SIGNATURE_PAD,
}
DEVICE_STATES = {
    DeviceState.ABSENT: pb.DEVICE_STATE_ABSENT,
    DeviceState.READY: pb.DEVICE_STATE_READY,
    DeviceState.BUSY: pb.DEVICE_STATE_BUSY,
    DeviceState.FAULT: pb.DEVICE_STATE_FAULT,
}


def timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def device(status: DeviceStatus) -> pb.Device:
    info = status.info
    return pb.Device(
        id=status.name,
        kind=DEVICE_KINDS[status.kind],
        state=DEVICE_STATES[status.state],
        vendor=info.vendor if info else "",
        model=info.model if info else "",
        serial=info.serial if info else "",
        firmware=info.firmware if info else "",
        source=status.source,
        detail=status.detail,
        state_since=timestamp(status.since),
    )


def device_event(event: DeviceEvent) -> pb.DeviceEvent:
    return pb.DeviceEvent(
        sequence=event.sequence,
        time=timestamp(event.time),
        device=device(event.status),
        previous_state=DEVICE_STATES[event.previous],
        reason=event.reason,
    )


def check(result: CheckResult) -> pb.Check:
    return pb.Check(
        id=result.id,
        value=result.value,
        threshold=result.threshold,
        passed=result.passed,
        quality=result.quality,
        guidance=result.guidance,
    )

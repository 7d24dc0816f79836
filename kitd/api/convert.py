"""Conversions from domain values (HAL statuses, check results) to kit.v1 messages, with every text a
person reads rendered by `texts` (the caller's language)."""

from __future__ import annotations

import re

from google.protobuf.timestamp_pb2 import Timestamp

from hal.device import DeviceKind
from hal.events import DeviceEvent, DeviceState, DeviceStatus
from kit.v1 import types_pb2 as pb
from kitd.locale.catalogs import Texts
from kitd.locale.message import Message
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


# The supervisors' fixed reasons and details (hal/supervisor.py) as message ids; anything else (a
# driver's own words) is passed through as it is.
_REASONS = {
    "in use": "device.reason.in_use",
    "released": "device.reason.released",
    "link lost": "device.reason.unplugged",
    "supervisor failed": "device.reason.supervisor_failed",
    "bind failed": "device.reason.bind_failed",
    "fault": "device.reason.fault",
    "bound": "device.reason.bound",
    "current state": "device.reason.current_state",
    "not bound yet": "device.detail.not_bound_yet",
}
_REBOUND = re.compile(r"rebound after (\d+) attempts")


def device_message(text: str) -> Message | None:
    """The message id of a supervisor's reason or detail, None for free text."""
    if text in _REASONS:
        return Message(_REASONS[text])
    rebound = _REBOUND.fullmatch(text)
    if rebound:
        return Message.of("device.reason.rebound", attempts=int(rebound.group(1)))
    return None


def device_text(text: str, texts: Texts) -> str:
    message = device_message(text)
    return texts(message) if message is not None else text


def device(status: DeviceStatus, texts: Texts) -> pb.Device:
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
        detail=device_text(status.detail, texts),
        state_since=timestamp(status.since),
    )


def device_event(event: DeviceEvent, texts: Texts) -> pb.DeviceEvent:
    return pb.DeviceEvent(
        sequence=event.sequence,
        time=timestamp(event.time),
        device=device(event.status, texts),
        previous_state=DEVICE_STATES[event.previous],
        reason=device_text(event.reason, texts),
    )


def check(result: CheckResult, texts: Texts) -> pb.Check:
    guidance = result.guidance
    return pb.Check(
        id=result.id,
        value=result.value,
        threshold=result.threshold,
        passed=result.passed,
        quality=result.quality,
        guidance=texts(guidance) if guidance is not None else "",
        guidance_id=guidance.id if guidance is not None else "",
    )

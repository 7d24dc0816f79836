"""The devices' part of the audit chain: a device that stops working is a record.

A device that was ready or busy and becomes absent or faulty is written down with its state and the
supervisor's detail; coming back, and the states in between, are not (the device events say those).
It never decides what a visit may do.
"""

from __future__ import annotations

from hal.events import DeviceEvent, DeviceState
from kitd.audit.log import AuditLog
from kitd.audit.record import AuditKind

WORKING = frozenset({DeviceState.READY, DeviceState.BUSY})
LOST = frozenset({DeviceState.ABSENT, DeviceState.FAULT})


class DeviceTrail:
    """Writes a DEVICE_FAULT record when a working device is lost."""

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    def on_device_event(self, event: DeviceEvent) -> None:
        status = event.status
        if status.state in LOST and event.previous in WORKING:
            self._audit.append(
                AuditKind.DEVICE_FAULT,
                "",
                device=status.name,
                state=status.state.value,
                detail=status.detail,
            )

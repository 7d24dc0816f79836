"""The standard self-test: which probes run, in which order.

Devices first (they need the technician's hands while he is at the kit), then the kit's own state.
"""

from __future__ import annotations

from kitd.selftest.camera import CameraProbe
from kitd.selftest.fingerprint import FingerprintProbe
from kitd.selftest.key_checks import KeyProbe
from kitd.selftest.outbox_checks import OutboxProbe
from kitd.selftest.probe import Probe
from kitd.selftest.signature_pad import SignaturePadProbe
from kitd.selftest.system_checks import ClockStatus, SystemProbe


def standard_probes(*, clock_status: ClockStatus | None = None) -> list[Probe]:
    """The probes a self-test runs: each device, the keys, the outbox and the system."""
    return [
        CameraProbe(),
        FingerprintProbe(),
        SignaturePadProbe(),
        KeyProbe(),
        OutboxProbe(),
        SystemProbe(clock_status),
    ]

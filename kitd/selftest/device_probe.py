"""What every device probe shares: the device is configured, bound, and says the expected identity.

A device probe reports `<device>.present` first. When the device is missing or not what is expected,
its other checks are reported as skipped with the reason, so the technician fixes the cause first. The
probe holds the device through its supervisor for its whole run (`acquire`), never opens it itself.
"""

from __future__ import annotations

import fnmatch
import time
from abc import abstractmethod
from collections.abc import Iterator

from hal.device import Device
from hal.events import DeviceState
from hal.supervisor import DeviceSupervisor
from kitd.selftest.context import SelfTestContext
from kitd.selftest.probe import CheckSpec, Probe, ProbeItem
from kitd.selftest.result import Verdict

# How long to wait for a device a visit (or a preview) holds before calling it busy.
ACQUIRE_TIMEOUT_S = 5.0


class DeviceProbe(Probe):
    """A self-test probe of one device: bound, identified, then the kind's own checks."""

    # Configuration id: "camera", "fingerprint", "signature_pad".
    device: str
    # What people call it: "camera", "fingerprint reader", "signature pad".
    noun: str
    # What to check when it is missing, e.g. "its USB cable".
    connection: str

    @property
    def present(self) -> CheckSpec:
        return CheckSpec(
            f"{self.device}.present",
            f"{self.noun.capitalize()} present, expected model and firmware",
        )

    @abstractmethod
    def device_checks(self, context: SelfTestContext) -> tuple[CheckSpec, ...]:
        """The checks after `present`."""

    @abstractmethod
    def run_device(self, context: SelfTestContext, device: Device) -> Iterator[ProbeItem]:
        """Runs the device checks on the held device."""

    def checks(self, context: SelfTestContext) -> tuple[CheckSpec, ...]:
        if not context.wants(self.device):
            return ()
        return (self.present, *self.device_checks(context))

    def run(self, context: SelfTestContext) -> Iterator[ProbeItem]:
        supervisor = context.supervisors.get(self.device)
        if supervisor is None:
            yield self.present.result(
                Verdict.FAIL,
                limit="configured",
                hint=f"No {self.noun} is configured: add [devices.{self.device}] with its source "
                "to kitd.toml, then restart kitd.",
            )
            yield from self._skip_rest(context, f"no {self.noun} is configured")
            return
        problem = self._presence_problem(context, supervisor)
        if problem is not None:
            yield self.present.result(
                Verdict.FAIL, limit=self._identity_limit(context), hint=problem
            )
            yield from self._skip_rest(context, f"the {self.noun} is not usable")
            return
        yield self.present.result(
            Verdict.PASS,
            value=1,
            limit=self._identity_limit(context),
        )
        with supervisor.acquire(timeout=ACQUIRE_TIMEOUT_S) as device:
            yield from self.run_device(context, device)

    def _presence_problem(
        self, context: SelfTestContext, supervisor: DeviceSupervisor
    ) -> str | None:
        deadline = time.monotonic() + context.limits.bind_timeout_s
        while True:
            status = supervisor.status
            if status.state in (DeviceState.READY, DeviceState.BUSY):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                detail = f" ({status.detail})" if status.detail else ""
                if status.state is DeviceState.FAULT:
                    return (
                        f"The {self.noun} reports a fault{detail}. Unplug it and plug it back in; "
                        "if the fault stays, replace it and send this report to support."
                    )
                return (
                    f"The {self.noun} is not connected{detail}. Check {self.connection}, plug it "
                    f"in again and wait a few seconds; `kitctl devices` shows when it is back."
                )
            supervisor.wait_for(DeviceState.READY, min(remaining, 0.5))
        info = status.info
        if info is None:
            return f"The {self.noun} did not report its identity. Replug it."
        limits = context.limits
        model_pattern = str(getattr(limits, f"{self.device}_model"))
        firmware_pattern = str(getattr(limits, f"{self.device}_firmware"))
        if not info.model or not fnmatch.fnmatchcase(info.model, model_pattern):
            return (
                f"The {self.noun} is a {info.model or 'device without a model name'!r}, not the "
                f"expected {model_pattern!r}. Connect the kit's own {self.noun}."
            )
        if not info.firmware or not fnmatch.fnmatchcase(info.firmware, firmware_pattern):
            return (
                f"The {self.noun}'s firmware is {info.firmware or 'unknown'!r}, expected "
                f"{firmware_pattern!r}. Have the firmware updated before taking visits."
            )
        return None

    def _identity_limit(self, context: SelfTestContext) -> str:
        limits = context.limits
        model = str(getattr(limits, f"{self.device}_model"))
        firmware = str(getattr(limits, f"{self.device}_firmware"))
        return f"bound; model {model}, firmware {firmware}"

    def _skip_rest(self, context: SelfTestContext, reason: str) -> Iterator[ProbeItem]:
        for spec in self.device_checks(context):
            yield spec.result(Verdict.SKIPPED, hint=f"Not run: {reason} (see {self.present.id}).")

"""Everything a self-test reads: the configuration, the device supervisors and the kit's state.

The daemon builds one from its Kit (RunSelfTest); `kit-selftest --direct` builds a Kit from the
configuration and does the same. The context only gives access: it never opens a device itself (the
supervisors do) and never changes the kit's state.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hal.supervisor import DeviceSupervisor
from kitd.audit.log import AuditLog
from kitd.config import Config
from kitd.keys.signer import KitSigner
from kitd.outbox.outbox import Outbox
from kitd.selftest.limits import Limits
from kitd.selftest.result import Mode

if TYPE_CHECKING:
    from kitd.kit import Kit


@dataclass(frozen=True)
class DaemonState:
    """What is known about the daemon: whether it serves, since when, which version."""

    # True: answering on its socket; False: not running; None: not asked (simulator demonstration).
    serving: bool | None
    version: str = ""
    started_at: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class SelfTestContext:
    """What a self-test run works with: configuration, devices, mode, daemon, keys, outbox, limits."""

    config: Config
    supervisors: Mapping[str, DeviceSupervisor]
    mode: Mode
    daemon: DaemonState
    signer: KitSigner | None = None
    outbox: Outbox | None = None
    audit: AuditLog | None = None
    limits: Limits = field(default_factory=Limits)
    # Names of the devices to test; empty = every configured device.
    devices: frozenset[str] = frozenset()
    # Injected for the tests of time-dependent checks; time.time() otherwise.
    now: float = field(default_factory=time.time)

    def wants(self, device: str) -> bool:
        return not self.devices or device in self.devices

    @classmethod
    def for_kit(
        cls,
        kit: Kit,
        mode: Mode,
        daemon: DaemonState,
        *,
        limits: Limits | None = None,
        devices: frozenset[str] = frozenset(),
    ) -> SelfTestContext:
        return cls(
            config=kit.config,
            supervisors=kit.supervisors,
            mode=mode,
            daemon=daemon,
            signer=kit.signer,
            outbox=kit.outbox,
            audit=kit.audit,
            limits=limits or Limits(),
            devices=devices,
        )

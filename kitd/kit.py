"""The daemon's domain root: configuration, the device supervisors and their events.

Everything the API serves hangs off a Kit; tests drive a Kit directly without gRPC. The Kit never
touches sockets or signals (kitd.server does).
"""

from __future__ import annotations

import threading
import time

from hal.events import DeviceStatus, EventHub, Subscription
from hal.registry import resolve
from hal.supervisor import DeviceSupervisor
from kitd import __version__
from kitd.config import DEVICE_KINDS, Config
from kitd.errors import DeviceNotFound


class Kit:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.version = __version__
        self.hub = EventHub()
        self.started_at = time.time()
        self.stopping = threading.Event()
        self.supervisors: dict[str, DeviceSupervisor] = {}
        for name, device_config in config.devices.items():
            device = resolve(device_config.source, name=name, kind=DEVICE_KINDS[name])
            self.supervisors[name] = DeviceSupervisor(
                device, self.hub, ping_interval=device_config.ping_interval
            )

    def start(self) -> None:
        for supervisor in self.supervisors.values():
            supervisor.start()

    def stop(self) -> None:
        self.stopping.set()
        for supervisor in self.supervisors.values():
            supervisor.stop()

    def device_statuses(self) -> list[DeviceStatus]:
        return [s.status for s in self.supervisors.values()]

    def supervisor(self, name: str) -> DeviceSupervisor:
        try:
            return self.supervisors[name]
        except KeyError:
            known = ", ".join(self.supervisors) or "none configured"
            raise DeviceNotFound(f"no device {name!r} (devices: {known})", device=name) from None

    def watch(self) -> Subscription:
        return self.hub.subscribe()

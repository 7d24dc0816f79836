"""Device state, status snapshots and the events that announce their changes.

The hub fans events out to any number of watchers, each with its own bounded queue: a slow watcher
loses its oldest events (and is told how many), it never slows the supervisors down.
"""

from __future__ import annotations

import enum
import itertools
import queue
import threading
import time
from dataclasses import dataclass

from hal.device import DeviceInfo, DeviceKind


class DeviceState(enum.StrEnum):
    """What a supervisor knows of its device: absent, ready, busy or fault."""

    ABSENT = "absent"
    READY = "ready"
    BUSY = "busy"
    FAULT = "fault"


@dataclass(frozen=True)
class DeviceStatus:
    """A device's state with its identity, source and the detail a person needs."""

    name: str
    kind: DeviceKind
    state: DeviceState
    source: str
    info: DeviceInfo | None
    # Plain-language reason for the state; empty when ready.
    detail: str
    # time.time() of the last state change.
    since: float


@dataclass(frozen=True)
class DeviceEvent:
    """A change of a device's state, with the state before it and why."""

    sequence: int
    time: float
    status: DeviceStatus
    previous: DeviceState
    reason: str


class Subscription:
    """One watcher's queue of events; iterate with `get`, end with `close`."""

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        self._hub = hub
        self._queue: queue.Queue[DeviceEvent | None] = queue.Queue(maxsize)
        self.dropped = 0

    def get(self, timeout: float | None = None) -> DeviceEvent | None:
        """The next event; None when the subscription was closed or nothing came within `timeout`."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._hub._unsubscribe(self)
        self._offer(None)

    def _offer(self, event: DeviceEvent | None) -> None:
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass


class EventHub:
    """Hands every device event to every subscriber."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscription] = []
        self._sequence = itertools.count(1)

    def subscribe(self, maxsize: int = 256) -> Subscription:
        subscription = Subscription(self, maxsize)
        with self._lock:
            self._subscribers.append(subscription)
        return subscription

    def publish(self, status: DeviceStatus, previous: DeviceState, reason: str) -> DeviceEvent:
        with self._lock:
            event = DeviceEvent(next(self._sequence), time.time(), status, previous, reason)
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription._offer(event)
        return event

    def _unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

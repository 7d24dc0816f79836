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


class Cause(enum.StrEnum):
    """Why a device changed state, or is in it: a code the layers above word for a person (the API
    maps it to a message id). The value is the log's and the audit's English.
    """

    IN_USE = "in use"
    RELEASED = "released"
    LINK_LOST = "link lost"
    SUPERVISOR_FAILED = "supervisor failed"
    BIND_FAILED = "bind failed"
    FAULT = "fault"
    BOUND = "bound"
    REBOUND = "rebound"
    NOT_BOUND_YET = "not bound yet"


@dataclass(frozen=True)
class Reason:
    """A cause with its parameters: `attempts` is how many binds a REBOUND took."""

    cause: Cause
    attempts: int = 0

    def __str__(self) -> str:
        if self.cause is Cause.REBOUND:
            return f"rebound after {self.attempts} attempts"
        return self.cause.value


@dataclass(frozen=True)
class DeviceStatus:
    """A device's state with its identity, source and the detail a person needs."""

    name: str
    kind: DeviceKind
    state: DeviceState
    source: str
    info: DeviceInfo | None
    # The driver's own words for the state (English, for logs and technicians); empty when ready.
    detail: str
    # time.time() of the last state change.
    since: float
    # Why the device is absent or in fault, as a code; None when ready or busy.
    cause: Cause | None = None


@dataclass(frozen=True)
class DeviceEvent:
    """A change of a device's state, with the state before it and why."""

    sequence: int
    time: float
    status: DeviceStatus
    previous: DeviceState
    reason: Reason


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

    def publish(self, status: DeviceStatus, previous: DeviceState, reason: Reason) -> DeviceEvent:
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

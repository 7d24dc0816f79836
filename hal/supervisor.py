"""One supervisor per device: it owns the device's state and keeps it bound.

States: absent (not bound; rebinding with backoff), ready, busy (a caller holds it through `acquire`),
fault (bound or binding failed with a device fault; retried with backoff). Every change is published on
the event hub. Drivers report a dead link through `Device._link_lost`; the supervisor closes the device
from its own thread (never from the driver's reader thread) and rebinds. Callers never open or close
devices themselves.

A supervisor whose loop fails for any reason (a driver raising something that is not a DeviceError, a
bug) marks its device fault with the error, logs it and starts its loop again after a backoff of its
own: a device never silently vanishes from the kit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hal.device import Device
from hal.errors import DeviceBusy, DeviceError, DeviceFault, DeviceGone
from hal.events import Cause, DeviceState, DeviceStatus, EventHub, Reason

log = logging.getLogger(__name__)


class DeviceSupervisor:
    """Owns one device's state: opens, pings, rebinds after a loss and publishes events."""

    def __init__(
        self,
        device: Device,
        hub: EventHub,
        *,
        min_backoff: float = 0.05,
        max_backoff: float = 1.0,
        ping_interval: float = 5.0,
        min_restart_backoff: float = 0.5,
        max_restart_backoff: float = 30.0,
    ) -> None:
        self.device = device
        self.name = device.name
        self._hub = hub
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._ping_interval = ping_interval
        self._min_restart_backoff = min_restart_backoff
        self._max_restart_backoff = max_restart_backoff
        self._restarts = 0
        self._bound_since_restart = False
        self._cond = threading.Condition()
        self._state = DeviceState.ABSENT
        self._detail = ""
        self._cause: Cause | None = Cause.NOT_BOUND_YET
        self._since = time.time()
        self._lost: DeviceError | None = None
        self._stopping = False
        self._op_lock = threading.Lock()
        self._users = 0
        self._thread: threading.Thread | None = None
        device.add_link_lost_listener(self._on_link_lost)

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"supervisor-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self.device.close()

    # -- what callers see ------------------------------------------------------------------------------

    @property
    def status(self) -> DeviceStatus:
        with self._cond:
            return self._status_locked()

    @property
    def restarts(self) -> int:
        """How many times the supervisor loop failed and was started again."""
        with self._cond:
            return self._restarts

    def wait_restarts(self, count: int, timeout: float) -> bool:
        """Blocks until the loop has been restarted `count` times; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._restarts >= count, timeout)

    def wait_for(self, state: DeviceState, timeout: float) -> bool:
        """Waits until the device is in `state`; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._state is state, timeout)

    @contextmanager
    def acquire(self, timeout: float = 0.0, *, shared: bool = False) -> Iterator[Device]:
        """Holds the device (state busy) for one operation.

        Exclusive by default; `shared=True` lets several readers use it at once (camera frames feed a
        preview and a capture together). Raises DeviceGone when it is absent, DeviceFault when it is
        in fault, DeviceBusy when another caller holds it past `timeout`. A DeviceGone raised inside
        marks the device absent and starts the rebind; other errors leave it ready.
        """
        if not shared:
            acquired = (
                self._op_lock.acquire(timeout=timeout)
                if timeout > 0
                else self._op_lock.acquire(blocking=False)
            )
            if not acquired:
                raise DeviceBusy("the device is in use by another operation", device=self.name)
        try:
            with self._cond:
                if self._state is DeviceState.ABSENT:
                    raise DeviceGone(
                        self._detail or "the device is not connected", device=self.name
                    )
                if self._state is DeviceState.FAULT:
                    raise DeviceFault(self._detail, device=self.name)
                self._users += 1
                self._set_state_locked(DeviceState.BUSY, "", Reason(Cause.IN_USE))
            try:
                yield self.device
            except DeviceGone as exc:
                self._mark_lost(exc)
                raise
            finally:
                with self._cond:
                    self._users -= 1
                    if self._users == 0 and self._state is DeviceState.BUSY:
                        self._set_state_locked(DeviceState.READY, "", Reason(Cause.RELEASED))
        finally:
            if not shared:
                self._op_lock.release()

    # -- internals -------------------------------------------------------------------------------------

    def _status_locked(self) -> DeviceStatus:
        return DeviceStatus(
            name=self.name,
            kind=self.device.kind,
            state=self._state,
            source=self.device.source.text,
            info=self.device._info,
            detail=self._detail,
            since=self._since,
            cause=self._cause,
        )

    def _set_state_locked(self, state: DeviceState, detail: str, reason: Reason) -> None:
        if state is self._state and detail == self._detail:
            return
        previous = self._state
        self._state = state
        self._detail = detail
        # Absent and fault keep what caused them; ready and busy need no cause.
        self._cause = reason.cause if state in (DeviceState.ABSENT, DeviceState.FAULT) else None
        self._since = time.time()
        self._cond.notify_all()
        self._hub.publish(self._status_locked(), previous, reason)
        _log_state(self.name, state, previous, str(reason))

    def _on_link_lost(self, error: DeviceError) -> None:
        self._mark_lost(error)

    def _mark_lost(self, error: DeviceError) -> None:
        with self._cond:
            self._lost = error
            message = str(error).removeprefix(f"{self.name}: ")
            self._set_state_locked(DeviceState.ABSENT, message, Reason(Cause.LINK_LOST))

    def _run(self) -> None:
        backoff = self._min_restart_backoff
        while True:
            try:
                self._supervise()
                return
            except Exception as exc:  # whatever it was, the device must show it, not vanish
                error = f"{type(exc).__name__}: {exc}"
                with self._cond:
                    if self._bound_since_restart:
                        backoff = self._min_restart_backoff
                    self._bound_since_restart = False
                    self._restarts += 1
                    self._set_state_locked(
                        DeviceState.FAULT,
                        f"supervisor failed ({error}); retrying in {backoff:g} s",
                        Reason(Cause.SUPERVISOR_FAILED),
                    )
                    self._cond.notify_all()
                log.error(
                    "device supervisor failed",
                    exc_info=True,
                    extra={"device": self.name, "error": error, "restarts": self._restarts},
                )
                _close_quietly(self.device)
                with self._cond:
                    if self._cond.wait_for(lambda: self._stopping, backoff):
                        return
                backoff = min(self._max_restart_backoff, backoff * 2)

    def _supervise(self) -> None:
        backoff = self._min_backoff
        attempts = 0
        while True:
            with self._cond:
                if self._stopping:
                    return
                state = self._state
                lost = self._lost
                self._lost = None
            if lost is not None:
                self.device.close()
            if state in (DeviceState.ABSENT, DeviceState.FAULT):
                attempts += 1
                if self._try_bind(attempts):
                    backoff, attempts = self._min_backoff, 0
                    continue
                with self._cond:
                    self._cond.wait_for(lambda: self._stopping, backoff)
                backoff = min(self._max_backoff, backoff * 2)
                continue
            with self._cond:
                woke = self._cond.wait_for(
                    lambda: self._stopping or self._lost is not None, self._ping_interval
                )
            if not woke:
                self._ping()

    def _try_bind(self, attempts: int) -> bool:
        try:
            self.device.open()
        except DeviceFault as exc:
            self.device.close()
            with self._cond:
                self._set_state_locked(
                    DeviceState.FAULT, str(exc).removeprefix(f"{self.name}: "), Reason(Cause.FAULT)
                )
            return False
        except DeviceError as exc:
            self.device.close()
            with self._cond:
                if self._state is not DeviceState.ABSENT:
                    self._set_state_locked(DeviceState.ABSENT, str(exc), Reason(Cause.BIND_FAILED))
                else:
                    self._detail = str(exc).removeprefix(f"{self.name}: ")
            return False
        with self._cond:
            if self._lost is not None:  # lost again while binding
                return False
            reason = Reason(Cause.BOUND) if attempts <= 1 else Reason(Cause.REBOUND, attempts)
            self._bound_since_restart = True
            self._set_state_locked(DeviceState.READY, "", reason)
        return True

    def _ping(self) -> None:
        if not self._op_lock.acquire(blocking=False):
            return  # in use: the operation itself will notice a dead device
        try:
            with self._cond:
                if self._state is not DeviceState.READY:
                    return
            self.device.ping()
        except DeviceGone as exc:
            self._mark_lost(exc)
        except DeviceError as exc:
            log.warning("device ping failed", extra={"device": self.name, "error": str(exc)})
        finally:
            self._op_lock.release()


def _close_quietly(device: Device) -> None:
    try:
        device.close()
    except Exception as exc:  # the loop restarts either way; a failed close is only logged
        log.warning(
            "device close failed",
            exc_info=True,
            extra={"device": device.name, "error": f"{type(exc).__name__}: {exc}"},
        )


def _log_state(name: str, state: DeviceState, previous: DeviceState, reason: str) -> None:
    log.info(
        "device state",
        extra={"device": name, "state": state.value, "previous": previous.value, "reason": reason},
    )

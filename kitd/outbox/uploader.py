"""The background uploader: runs outbox upload passes when packages are due and sweeps retention.

It sleeps on an event, not a timer loop, so `stop()` and `poke()` (a new package) act at once. State lives
in the outbox, so a restarted uploader resumes where the last one stopped.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

from kitd.audit.errors import AuditError
from kitd.outbox.errors import OutboxError
from kitd.outbox.outbox import Outbox
from kitd.outbox.state import FlushResult, PackageState


class Uploader:
    """The background thread that runs the outbox's upload passes when they are due."""

    def __init__(
        self,
        outbox: Outbox,
        *,
        sweep_interval_s: float | None = None,
        idle_wait_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._outbox = outbox
        self._sweep_interval_s = (
            outbox.config.sweep_interval_s if sweep_interval_s is None else sweep_interval_s
        )
        self._idle_wait_s = idle_wait_s
        self._clock = clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._passes = threading.Condition()
        self._pass_count = 0
        self._last_result: FlushResult | None = None
        self._thread: threading.Thread | None = None
        self.last_error = ""

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="kitd-uploader", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def is_running(self) -> bool:
        """True while the upload thread runs (started, not stopped, and not dead)."""
        return self._thread is not None and self._thread.is_alive()

    def poke(self) -> None:
        """A package was enqueued or the network came back: try now."""
        self._wake.set()

    def wait_for_pass(self, after: int, timeout: float) -> int:
        """Block until more than `after` passes have run; returns the pass count."""
        with self._passes:
            self._passes.wait_for(lambda: self._pass_count > after, timeout)
            return self._pass_count

    def wait_until_delivered(self, package_id: str, timeout: float) -> bool:
        """True once the package is acknowledged (or deleted after acknowledgement)."""
        deadline = time.monotonic() + timeout
        with self._passes:
            while True:
                state = self._outbox.get(package_id).state
                if state in (PackageState.ACKNOWLEDGED, PackageState.DELETED):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._passes.wait(remaining)

    def _run(self) -> None:
        # Sweeps are spaced by the monotonic clock: a wall clock set back must not stop them.
        last_sweep = time.monotonic()
        while not self._stopping.is_set():
            now = time.monotonic()
            try:
                if now - last_sweep >= self._sweep_interval_s:
                    self._outbox.sweep_retention()
                    last_sweep = now
                result: FlushResult | None = self._outbox.flush(force=False)
                self.last_error = ""
            except (OutboxError, AuditError, sqlite3.Error, OSError) as exc:
                # The thread must outlive a bad pass (disk error, full disk under the audit log,
                # locked database); the error is kept for the status call and the next pass tries
                # again.
                result = None
                self.last_error = f"{type(exc).__name__}: {exc}"
            with self._passes:
                self._pass_count += 1
                self._last_result = result
                self._passes.notify_all()
            due = self._outbox.next_due()
            wait = self._idle_wait_s if due is None else max(0.0, due - self._clock())
            # A retry is never further away than the longest backoff, whatever the wall clock did.
            wait = min(wait, self._sweep_interval_s, self._outbox.config.backoff_max_s)
            self._wake.wait(wait)
            self._wake.clear()

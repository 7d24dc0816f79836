"""The base of every device driver: identity, open/close, and the link-lost notification.

A driver implements `_open` (bind the hardware, drain stale data, read identity) and `_close`. When its
background reader notices that the link died, it calls `_link_lost(error)`; the base fans that out to
listeners (the supervisor) exactly once per opening. Drivers never decide policy (retries, rebinding):
that is the supervisor's job.
"""

from __future__ import annotations

import enum
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import ClassVar, Self

from hal.errors import DeviceError, DeviceGone
from hal.source import Source


class DeviceKind(enum.StrEnum):
    """The device kinds the kit knows: camera, fingerprint scanner, signature pad."""

    CAMERA = "camera"
    FINGERPRINT_SCANNER = "fingerprint_scanner"
    SIGNATURE_PAD = "signature_pad"


@dataclass(frozen=True)
class DeviceInfo:
    """What a device says about itself once opened."""

    vendor: str
    model: str
    serial: str
    firmware: str
    # Anything else the device reports (resolution, ppi, pen range, link speed, ...).
    details: dict[str, str] = field(default_factory=dict)


LinkLostListener = Callable[[DeviceError], None]


class Device(ABC):
    """One physical device reached through one source."""

    kind: ClassVar[DeviceKind]

    @classmethod  # noqa: B027 - an optional hook: most drivers accept any target
    def check_source(cls, source: Source) -> None:
        """Raises SourceError when the source cannot name a device of this driver.

        Pure: reads the source text only, never the hardware. `hal.registry` calls it before building
        a device, so a mistyped target stops the configuration check instead of the supervisor.
        """

    def __init__(self, source: Source, *, name: str = "") -> None:
        self.source = source
        self.name = name or source.driver
        self._info: DeviceInfo | None = None
        self._listeners: list[LinkLostListener] = []
        self._lock = threading.Lock()
        self._lost_reported = False

    # -- what drivers implement ---------------------------------------------------------------------

    @abstractmethod
    def _open(self) -> DeviceInfo:
        """Binds the device and returns its identity. Raises DeviceGone when it is not there."""

    @abstractmethod
    def _close(self) -> None:
        """Releases the device. Must not raise for a device that is already gone."""

    # -- shared behaviour ----------------------------------------------------------------------------

    def open(self) -> DeviceInfo:
        with self._lock:
            if self._info is not None:
                return self._info
            self._lost_reported = False
        info = self._open()
        with self._lock:
            self._info = info
        return info

    def close(self) -> None:
        with self._lock:
            was_open = self._info is not None
            self._info = None
        if was_open:
            self._close()

    @property
    def is_open(self) -> bool:
        return self._info is not None

    @property
    def info(self) -> DeviceInfo:
        info = self._info
        if info is None:
            raise DeviceGone("device is not open", device=self.name)
        return info

    def ping(self) -> None:
        """Cheap liveness probe; raises a DeviceError when the device does not answer.

        The default asks nothing of the device; drivers with a cheap request override it.
        """
        self.info  # noqa: B018 - raises DeviceGone when closed

    def add_link_lost_listener(self, listener: LinkLostListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_link_lost_listener(self, listener: LinkLostListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _link_lost(self, error: DeviceError) -> None:
        """Called by a driver (any thread) when it notices the link died; reported once per opening."""
        with self._lock:
            if self._lost_reported:
                return
            self._lost_reported = True
            listeners = list(self._listeners)
        if not error.device:
            error.device = self.name
        for listener in listeners:
            listener(error)

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.source}>"

"""The contract every simulated device follows, so one harness can run them all.

A simulator runs in its own process (see kitsim.process). It serves its device over a real transport
(a Unix socket carrying USB transfers, a pty, an HTTP MJPEG stream), reports the kitd source string to
reach it, and answers control commands (JSON in, JSON out) for scenario steps and faults. Every
simulator knows `unplug` and `replug`; the rest are its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar


class ControlError(Exception):
    """A control command that is unknown or has bad arguments; the message goes back to the caller."""


class SimulatedDevice(ABC):
    """A simulated device, run in its own process and driven through the control API."""

    # Device id in kitd's configuration and in the control API: "camera", "fingerprint", "signature_pad".
    name: ClassVar[str]

    def __init__(self, workdir: Path, options: dict[str, Any]) -> None:
        self.workdir = workdir
        self.options = options

    @abstractmethod
    def start(self) -> str:
        """Starts serving the device and returns the kitd source string that reaches it."""

    @abstractmethod
    def stop(self) -> None:
        """Stops serving and releases everything."""

    @abstractmethod
    def unplug(self) -> None:
        """Behaves as if the cable were pulled: the host sees the device vanish."""

    @abstractmethod
    def replug(self) -> None:
        """Brings the device back, reachable under the same source string."""

    def identity(self) -> dict[str, str]:
        """vendor/model/serial/firmware as the device reports them."""
        return {}

    def control(self, command: str, args: dict[str, Any]) -> dict[str, Any]:
        """Handles one control command. Subclasses extend it and fall back to this for the common ones."""
        if command == "unplug":
            self.unplug()
            return {"plugged": False}
        if command == "replug":
            self.replug()
            return {"plugged": True}
        if command == "identity":
            return dict(self.identity())
        raise ControlError(f"{self.name}: unknown command {command!r}")

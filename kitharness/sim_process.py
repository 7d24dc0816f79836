"""One simulated device in its own process, the way `kitsim up` runs it (python -m kitsim.process),
for tests that drive a single device directly through its driver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kitsim.harness import SimulatorSet


class SimProcess:
    def __init__(self, device: str, workdir: Path, **options: Any) -> None:
        self.device = device
        self._set = SimulatorSet(workdir, [device], {device: options})
        self.source: str = self._set.start()[device]

    def control(self, command: str, /, **args: Any) -> Any:
        return self._set.control(self.device, command, **args)

    def close(self) -> None:
        self._set.stop()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""The simulated signature pad in its own process, for the driver and contract tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.sim_process import SimProcess


class SignpadSimProcess(SimProcess):
    def __init__(self, workdir: Path, **options: Any) -> None:
        super().__init__("signature_pad", workdir, **options)


def collect_until_ok(pad: Any, timeout: float = 20.0) -> list[Any]:
    """Pen samples read from an open, started pad until its OK button; fails after `timeout` s idle."""
    from hal.signpad.base import ButtonId, ButtonPress

    samples: list[Any] = []
    while True:
        event = pad.read_event(timeout)
        if event is None:
            raise AssertionError(f"no OK press within {timeout} s ({len(samples)} samples so far)")
        if isinstance(event, ButtonPress):
            if event.button is ButtonId.OK:
                return samples
            continue
        samples.extend(event)

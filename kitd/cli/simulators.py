"""The one door from kitd's command-line tools to the simulators (kitsim).

`kit-selftest --sim` starts the simulators and `kitctl enroll --auto` plays the citizen through them:
conveniences for developers, demos and CI that live in the CLIs, and that import kitsim lazily, here
and nowhere else. The daemon (`kitd serve` and everything it loads) must never import kitsim, so that
production and CI differ only in configuration; tests/architecture/test_boundaries.py checks that no
module under kitd/ but this one does.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

Control = Callable[..., Any]


def control_call(workdir: Path, device: str, command: str, /, **args: Any) -> Any:
    """A call through the control socket of a running `kitsim up` in `workdir`."""
    from kitsim.harness import control_call as call

    return call(workdir, device, command, **args)


def installed_simulators() -> list[str]:
    """The simulators of the catalogue whose modules are installed."""
    from kitsim.catalogue import SIMULATORS

    return [
        name
        for name, target in SIMULATORS.items()
        if importlib.util.find_spec(target.split(":")[0]) is not None
    ]


def start_simulators(stack: ExitStack, workdir: Path) -> tuple[dict[str, str], Control]:
    """Starts every installed simulator in `workdir` (stopped when `stack` closes): their device
    sources for kitd's configuration, and their control call.
    """
    from kitsim.harness import SimulatorSet

    simulators = SimulatorSet(workdir, installed_simulators())
    simulators.start()
    stack.callback(simulators.stop)
    return simulators.sources, simulators.control

"""The simulated devices kitsim knows, by name, loaded lazily (one process each)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from kitsim.device import SimulatedDevice

SIMULATORS: dict[str, str] = {
    "camera": "kitsim.camera.simulator:CameraSimulator",
    "fingerprint": "kitsim.fingerprint.simulator:FingerprintSimulator",
    "signature_pad": "kitsim.signpad.simulator:SignaturePadSimulator",
}


def create(name: str, workdir: Path, options: dict[str, Any]) -> SimulatedDevice:
    """A new, unstarted simulator of the named kind; ValueError for a name kitsim does not know."""
    try:
        target = SIMULATORS[name]
    except KeyError:
        raise ValueError(f"unknown simulator {name!r} (known: {', '.join(SIMULATORS)})") from None
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    device: SimulatedDevice = cls(workdir, options)
    return device

"""The citizen in front of the kit, played through the simulators (`kitctl enroll --auto`, the demo).

`SimulatedCitizen` is every act of the person being enrolled: face the camera, hold up a certificate,
put a finger on the glass and lift it, sign the pad. `kitctl enroll --auto` and `kitctl deliver --auto`
call those acts at the step that asks for them (kitharness.citizen has the demo's citizen, who follows
the daemon's device events instead). The acts reach the simulators through their control API only (kitd.cli.simulators), so the daemon cannot
tell them from a person.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

# A device's control call: (device, command, arguments) -> the simulator's answer.
Act = Callable[[str, str, dict[str, Any]], Any]


class SimulatedCitizen:
    """The person in front of the kit, acting on the simulators."""

    def __init__(self, act: Act) -> None:
        self._act = act

    @classmethod
    def of_simulators(cls, sim_dir: Path) -> SimulatedCitizen:
        """The citizen of a running `kitsim up` in `sim_dir`."""
        from kitd.cli.simulators import control_call  # only the simulated citizen needs kitsim

        return cls(lambda device, command, args: control_call(sim_dir, device, command, **args))

    def face_the_camera(self) -> None:
        self._act("camera", "scene", {})

    def hold_up_certificate(self) -> None:
        self._act("camera", "scene", {"page": True})

    def put_finger(self, position: int, quality: float | None = None) -> None:
        """The finger at `position` on the glass, placed with `quality` (the simulator's own by
        default).
        """
        placement: dict[str, Any] = {"finger": position}
        if quality is not None:
            placement["quality"] = quality
        self._act("fingerprint", "place", placement)

    def lift_finger(self) -> None:
        self._act("fingerprint", "remove", {})

    def sign(self, name: str) -> None:
        """Signs `name` on the pad and presses OK."""
        self._act("signature_pad", "sign", {"name": name, "press_ok": True})

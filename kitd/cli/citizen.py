"""The citizen in front of the kit, played through the simulators (`kitctl enroll --auto`, the demo).

`SimulatedCitizen` is every act of the person being enrolled: face the camera, hold up a certificate,
put a finger on the glass and lift it, sign the pad. `kitctl enroll --auto` and `kitctl deliver --auto`
call those acts at the step that asks for them; `FollowingCitizen` calls them for whatever client
drives the visit (the operator's console of the demo), following the daemon's device events. The
acts reach the simulators through their control API only (kitd.cli.simulators), so the daemon cannot
tell them from a person.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from kit.v1 import capture_service_pb2 as cpb
from kit.v1 import device_service_pb2 as dpb
from kit.v1 import types_pb2
from kitd.client import KitClient

# A device's control call: (device, command, arguments) -> the simulator's answer.
Act = Callable[[str, str, dict[str, Any]], Any]
# The finger put down when the visit asks for none in particular: the right index.
DEFAULT_FINGER = types_pb2.FINGER_POSITION_RIGHT_INDEX


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


class FollowingCitizen:
    """Plays the citizen for whatever client drives a visit, reacting to the daemon's device events:
    the face is always in front of the camera; a finger goes on the glass while a capture holds the
    reader and is lifted after; the citizen signs once a signature capture holds the pad.
    """

    def __init__(
        self,
        client: KitClient,
        citizen: SimulatedCitizen,
        name: str,
        on_slip: Callable[[str, Exception], None],
    ) -> None:
        self.client = client
        self.citizen = citizen
        self.name = name
        # A failed act is reported and the citizen carries on: a slip must not end the demo.
        self.on_slip = on_slip
        self.stream: Any = None
        self.thread = threading.Thread(target=self._follow, name="auto-citizen", daemon=True)

    def start(self) -> None:
        self.citizen.face_the_camera()
        self.stream = self.client.devices.WatchDeviceEvents(
            dpb.WatchDeviceEventsRequest(), metadata=self.client.metadata
        )
        self.thread.start()

    def _follow(self) -> None:
        # The stream ends with an error when the daemon stops or the stream is cancelled.
        with contextlib.suppress(grpc.RpcError):
            for response in self.stream:
                device = response.event.device
                try:
                    self._react(device.id, device.state)
                except Exception as exc:  # noqa: BLE001 - any slip is reported, the demo goes on
                    self.on_slip(device.id, exc)

    def _react(self, device: str, state: int) -> None:
        busy, ready = types_pb2.DEVICE_STATE_BUSY, types_pb2.DEVICE_STATE_READY
        if device == "fingerprint" and state == busy:
            self.citizen.put_finger(self.asked_finger(), quality=0.9)
        elif device == "fingerprint" and state == ready:
            self.citizen.lift_finger()
        elif device == "signature_pad" and state == busy:
            self.citizen.sign(self.name)

    def asked_finger(self) -> int:
        """The finger the active visit asks for next (the right index when none is found)."""
        session = self.client.capture.GetActiveSession(
            cpb.GetActiveSessionRequest(), metadata=self.client.metadata, timeout=5
        ).session
        step = next((s for s in session.steps if s.step_id == session.next_step_id), None)
        return int(step.finger) if step is not None and step.finger else DEFAULT_FINGER

    def stop(self) -> None:
        if self.stream is not None:
            self.stream.cancel()
        self.thread.join(5)

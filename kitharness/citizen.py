"""The demo's citizen: plays the person in front of the kit for whatever client drives the visit (the
operator's console), following the daemon's device events with the acts of kitd.cli.citizen.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import grpc

from kit.v1 import capture_service_pb2 as cpb
from kit.v1 import device_service_pb2 as dpb
from kit.v1 import types_pb2
from kitd.cli.citizen import SimulatedCitizen
from kitd.client import KitClient

# The finger put down when the visit asks for none in particular: the right index.
DEFAULT_FINGER = types_pb2.FINGER_POSITION_RIGHT_INDEX


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

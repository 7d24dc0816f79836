"""Runs the camera simulator in its own process for tests, driven by JSON lines on stdin.

    python camera_process.py '{"width": 1280, "height": 720}'

prints `{"source": ..., "identity": ...}` once serving, then answers each stdin line
`{"command": ..., "args": {...}}` with one JSON line (`{"ok": true, "result": ...}` or
`{"ok": false, "error": ...}`). EOF on stdin stops the simulator. `SimulatedCamera` wraps that for
fixtures: the simulator serves real HTTP on loopback from a separate process, as in production.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from hal.camera.opencv import OpenCVCamera

START_TIMEOUT_S = 30.0
REPLY_TIMEOUT_S = 30.0


class SimulatorError(RuntimeError):
    """The simulator process refused a command or died."""


def serve(options: dict[str, Any]) -> int:
    from kitsim.camera.simulator import CameraSimulator
    from kitsim.device import ControlError

    with tempfile.TemporaryDirectory(prefix="kitsim-camera-") as workdir:
        camera = CameraSimulator(Path(workdir), options)
        source = camera.start()
        print(json.dumps({"source": source, "identity": camera.identity()}), flush=True)
        try:
            for line in sys.stdin:
                request = json.loads(line)
                try:
                    result = camera.control(request["command"], request.get("args", {}))
                    reply: dict[str, Any] = {"ok": True, "result": result}
                except ControlError as exc:
                    reply = {"ok": False, "error": str(exc)}
                print(json.dumps(reply), flush=True)
        finally:
            camera.stop()
    return 0


class Shooter:
    """Sets a scene and returns the first frame served after the change."""

    def __init__(self, sim: SimulatedCamera, camera: OpenCVCamera) -> None:
        self.sim = sim
        self.camera = camera

    def shoot(self, **scene: Any) -> NDArray[np.uint8]:
        self.sim.control("scene", **scene)
        published = self.sim.control("stats")["frames_published"]
        for frame in self.camera.frames(timeout=5.0):
            sent_seq = getattr(frame, "sent_seq", None)
            assert sent_seq is not None, "the simulator stamps every frame"
            if sent_seq > published:
                return frame.image
        raise AssertionError("unreachable: frames() raises or yields forever")


class SimulatedCamera:
    """A camera simulator process; `control()` sends one command and returns its result."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), json.dumps(options or {})],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()
        hello = self._read_line(START_TIMEOUT_S)
        self.source: str = hello["source"]
        self.identity: dict[str, str] = hello["identity"]

    def _read_line(self, timeout: float) -> dict[str, Any]:
        stdout = cast(IO[str], self._process.stdout)
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not box or not box[0]:
            self.close()
            raise SimulatorError("camera simulator did not answer (crashed or hung)")
        reply: dict[str, Any] = json.loads(box[0])
        return reply

    def control(self, command: str, **args: Any) -> dict[str, Any]:
        with self._lock:
            stdin = cast(IO[str], self._process.stdin)
            stdin.write(json.dumps({"command": command, "args": args}) + "\n")
            stdin.flush()
            reply = self._read_line(REPLY_TIMEOUT_S)
        if not reply["ok"]:
            raise SimulatorError(reply["error"])
        result: dict[str, Any] = reply["result"]
        return result

    def close(self) -> None:
        if self._process.poll() is None:
            if self._process.stdin:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout:
            self._process.stdout.close()

    def __enter__(self) -> SimulatedCamera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    sys.exit(serve(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}))

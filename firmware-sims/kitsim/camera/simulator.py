"""The simulated camera: what kitd's `opencv:` driver sees when a UVC camera is replaced by the simulator.

Serves the current scene as multipart MJPEG over HTTP on loopback (port 0 by default; the real port goes
into the source string) at a steady frame rate, answers /info with the camera's identity, and takes
control commands from the kitsim harness (any thread):

    scene   {builtin|image, eyes, roll, yaw, pitch, scale, dx, dy, exposure, colour_cast, blur,
             uneven_light, busy_background, second_face, eye_bar, no_face, width, height}
            replaces the whole scene; knobs not given are neutral, so `scene {}` is the default portrait
    fault   {kind: stall, duration} | {kind: disconnect} | {kind: corrupt, count} | {kind: clear}
    stats   frames published, corrupt frames sent, connections, the current scene
    unplug / replug / identity   (from SimulatedDevice)

Options (from `kitsim up`): width, height, fps, port, quality, serial. Rendering and JPEG encoding
happen once per scene change, in the caller's thread, never per frame; rendered scenes are cached.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, ClassVar

import cv2

from kitsim.camera.scene import Scene, render, scene_from_args
from kitsim.camera.stream import FrameClock, StreamServer
from kitsim.device import ControlError, SimulatedDevice

SCENE_CACHE_SIZE = 16


class CameraSimulator(SimulatedDevice):
    """The simulated camera: an MJPEG stream over HTTP on loopback."""

    name: ClassVar[str] = "camera"

    def __init__(self, workdir: Path, options: dict[str, Any]) -> None:
        super().__init__(workdir, options)
        self.width = int(options.get("width", 1280))
        self.height = int(options.get("height", 720))
        self.fps = float(options.get("fps", 30.0))
        self.quality = int(options.get("quality", 90))
        self.serial = str(options.get("serial", "KCAM-SIM-0001"))
        self._lock = threading.Lock()
        self._cache: OrderedDict[Scene, bytes] = OrderedDict()
        self._scene = Scene(width=self.width, height=self.height)
        self._clock = FrameClock(self.fps, self._encode(self._scene))
        self._server = StreamServer(self._clock, self._info, int(options.get("port", 0)))
        self._plugged = False

    # -- SimulatedDevice ----------------------------------------------------------------------------

    def start(self) -> str:
        self._clock.start()
        port = self._server.start()
        self._plugged = True
        return f"opencv:http://127.0.0.1:{port}/stream.mjpg"

    def stop(self) -> None:
        self._server.stop()
        self._clock.stop()
        self._plugged = False

    def unplug(self) -> None:
        if self._plugged:
            self._plugged = False
            self._server.stop()

    def replug(self) -> None:
        if not self._plugged:
            self._server.start()
            self._plugged = True

    def identity(self) -> dict[str, str]:
        return {
            "vendor": "Kit Simulations",
            "model": "KCAM-1080 (simulated UVC camera)",
            "serial": self.serial,
            "firmware": "1.4.2-sim",
        }

    def control(self, command: str, args: dict[str, Any]) -> dict[str, Any]:
        if command == "scene":
            return self._set_scene(args)
        if command == "fault":
            return self._fault(args)
        if command == "stats":
            return self.stats()
        return super().control(command, args)

    # -- the camera's own commands ---------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self._lock:
            scene = dataclasses.asdict(self._scene)
        return {
            "plugged": self._plugged,
            "port": self._server.port,
            "fps": self.fps,
            "frames_published": self._clock.frames_published,
            "corrupt_sent": self._clock.corrupt_sent,
            "stalled": self._clock.stalled,
            "open_connections": self._server.open_connections,
            "connections_total": self._server.connections_total,
            "scene": scene,
        }

    def _set_scene(self, args: dict[str, Any]) -> dict[str, Any]:
        scene = scene_from_args(args, width=self.width, height=self.height)
        jpeg = self._encode(scene)
        with self._lock:
            self._scene = scene
        self._clock.set_jpeg(jpeg)
        return {"scene": dataclasses.asdict(scene), "jpeg_bytes": len(jpeg)}

    def _fault(self, args: dict[str, Any]) -> dict[str, Any]:
        kind = args.get("kind")
        if kind == "stall":
            duration = float(args.get("duration", 3600.0))
            self._clock.stall(duration)
            return {"fault": "stall", "duration": duration}
        if kind == "disconnect":
            self._server.drop_connections()
            return {"fault": "disconnect"}
        if kind == "corrupt":
            count = int(args.get("count", 1))
            if count < 1:
                raise ControlError("fault corrupt: count must be >= 1")
            self._clock.corrupt(count)
            return {"fault": "corrupt", "count": count}
        if kind in ("clear", "none"):
            self._clock.clear_faults()
            return {"fault": "clear"}
        raise ControlError(
            f"camera: unknown fault kind {kind!r} (stall with duration, disconnect, corrupt with count, clear)"
        )

    def _encode(self, scene: Scene) -> bytes:
        with self._lock:
            cached = self._cache.get(scene)
            if cached is not None:
                self._cache.move_to_end(scene)
                return cached
        ok, buffer = cv2.imencode(".jpg", render(scene), [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise ControlError("camera: the scene could not be JPEG-encoded")
        jpeg = buffer.tobytes()
        with self._lock:
            self._cache[scene] = jpeg
            while len(self._cache) > SCENE_CACHE_SIZE:
                self._cache.popitem(last=False)
        return jpeg

    def _info(self) -> dict[str, Any]:
        with self._lock:
            width, height = self._scene.width, self._scene.height
        return {**self.identity(), "width": width, "height": height, "fps": self.fps}

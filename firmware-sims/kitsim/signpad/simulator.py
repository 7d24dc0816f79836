"""The simulated signature pad as kitsim runs it: a pty (default) or TCP link to the pad firmware.

    options: {"transport": "pty" | "socket", "port": 0, "clock_start_us": 4096, "serial": "...",
              "wrap_after_start_us": N (test knob: the 32-bit clock wraps N us after the first START)}

`start()` returns `framed:<workdir>/signature_pad.tty` for the pty - a symlink that always points at the
current pty, as udev's /dev/kitd-signpad does, so the source survives unplug/replug - or
`framed:socket://127.0.0.1:PORT`. Control commands: sign, button, fault, info, plus the common
unplug/replug/identity. This module must never import the daemon (kitd, hal).
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from kitsim.device import ControlError, SimulatedDevice
from kitsim.signpad.firmware import FRAME_NAMES, PadFirmware, PadIdentity
from kitsim.signpad.handwriting import generate_signature
from kitsim.signpad.link import Link, PtyLink, SocketLink
from kitsim.signpad.strokes import PadGeometry, plan_samples

BUTTONS = {"ok": 1, "clear": 2, "cancel": 3}
# Faults on the next `count` frames (of the type `only` names, or any): counters of Faults by name.
FRAME_FAULTS = ("drop", "corrupt", "truncate")
FAULTS = (*FRAME_FAULTS, "noise", "delay", "overflow", "heartbeat_stop", "slow", "none")


class SignaturePadSimulator(SimulatedDevice):
    """The simulated signature pad: framed serial over a pty or a TCP socket."""

    name: ClassVar[str] = "signature_pad"

    def __init__(self, workdir: Path, options: dict[str, Any]) -> None:
        super().__init__(workdir, options)
        self.transport = str(options.get("transport", "pty"))
        if self.transport not in ("pty", "socket"):
            raise ValueError(
                f"signature_pad: transport must be pty or socket, not {self.transport!r}"
            )
        self.geometry = PadGeometry(max_x=9600, max_y=4000, max_pressure=1023, rate_hz=200)
        self.pad_identity = PadIdentity(serial=str(options.get("serial", PadIdentity.serial)))
        self._clock_start = int(options.get("clock_start_us", 4096)) & 0xFFFFFFFF
        wrap = options.get("wrap_after_start_us")
        self._wrap_after_start = None if wrap is None else int(wrap)
        self._port = int(options.get("port", 0))
        self._lock = threading.RLock()
        self._link: Link | None = None
        self._firmware: PadFirmware | None = None
        self._source = ""

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> str:
        with self._lock:
            self._plug()
            if self.transport == "pty":
                self._source = f"framed:{self.workdir / 'signature_pad.tty'}"
            else:
                assert isinstance(self._link, SocketLink)
                self._port = self._link.port
                self._source = f"framed:socket://127.0.0.1:{self._port}"
            return self._source

    def stop(self) -> None:
        with self._lock:
            self._unplug()

    def unplug(self) -> None:
        with self._lock:
            self._unplug()

    def replug(self) -> None:
        with self._lock:
            if self._firmware is None:
                self._plug()

    def identity(self) -> dict[str, str]:
        i = self.pad_identity
        return {"vendor": "generic", "model": i.model, "serial": i.serial, "firmware": i.firmware}

    def _plug(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.transport == "pty":
            self._link = PtyLink(self.workdir / "signature_pad.tty")
        else:
            self._link = SocketLink(self._port)
        self._firmware = PadFirmware(
            self._link, self.geometry, self.pad_identity, self._clock_start, self._wrap_after_start
        )

    def _unplug(self) -> None:
        firmware, self._firmware = self._firmware, None
        link, self._link = self._link, None
        if link is not None:
            link.close()
        if firmware is not None:
            firmware.halt()

    # -- control -------------------------------------------------------------------------------------

    def control(self, command: str, args: dict[str, Any]) -> dict[str, Any]:
        if command == "sign":
            return self._sign(args)
        if command == "button":
            button = args.get("button", "ok")
            code = BUTTONS.get(button) if isinstance(button, str) else int(button)
            if code is None:
                raise ControlError(f"signature_pad: unknown button {button!r} (ok, clear, cancel)")
            self._require_firmware().press(code)
            return {"button": button}
        if command == "fault":
            return self._fault(args)
        if command == "info":
            with self._lock:
                firmware = self._firmware
                status: dict[str, Any] = {"plugged": firmware is not None, "source": self._source}
                if firmware is not None:
                    status.update(firmware.status())
                return status
        return super().control(command, args)

    def _require_firmware(self) -> PadFirmware:
        firmware = self._firmware
        if firmware is None:
            raise ControlError("signature_pad: the pad is unplugged; replug it first")
        return firmware

    def _sign(self, args: dict[str, Any]) -> dict[str, Any]:
        script = args.get("script")
        if script is None:
            name = str(args.get("name") or "A. Citizen")
            seed = args.get("seed")
            script = generate_signature(name, None if seed is None else int(seed))
        samples = plan_samples(script, self.geometry)
        playback = self._require_firmware().sign(
            samples, press_ok=bool(args.get("press_ok", False))
        )
        result: dict[str, Any] = {
            "samples": len(samples),
            "ink_samples": sum(1 for s in samples if s.flags & 0x01),
            "duration_s": samples[-1].offset_us / 1e6 if samples else 0.0,
        }
        if args.get("wait"):
            # The citizen signs once the pad streams; waiting covers that and the signature itself.
            timeout = float(args.get("timeout", 30.0))
            result["completed"] = playback.done.wait(timeout)
        return result

    def _fault(self, args: dict[str, Any]) -> dict[str, Any]:
        kind = args.get("kind")
        if kind not in FAULTS:
            raise ControlError(f"signature_pad: fault kind must be one of {', '.join(FAULTS)}")
        firmware = self._require_firmware()
        faults = firmware.faults
        count = int(args.get("count", 1))
        duration = float(args.get("duration", 0.0))
        until = time.monotonic() + duration if duration > 0 else math.inf
        only = args.get("only")
        if only is not None and only not in FRAME_NAMES:
            raise ControlError(f"signature_pad: 'only' must be one of {', '.join(FRAME_NAMES)}")
        if kind in FRAME_FAULTS:
            faults.only = FRAME_NAMES[only] if only else None
            setattr(faults, kind, count)
        elif kind == "noise":
            faults.noise = max(1, int(args.get("bytes", 64)))
        elif kind == "delay":
            faults.delay_s, faults.delay_frames = duration or 1.0, count
        elif kind == "overflow":
            faults.overflow = int(args.get("count", 40))
        elif kind == "heartbeat_stop":
            faults.heartbeat_stopped_until = until
        elif kind == "slow":
            faults.slow_bytes_per_s = float(args.get("bytes_per_s", 1000.0))
            faults.slow_until = until
        else:
            firmware.faults = type(faults)()
        return {"fault": kind}

"""The simulated KFP1 fingerprint reader as kitsim runs it: USB over a Unix socket, synthetic fingers.

    options: {"serial": "KFP1-0001", "identity": "person-0001" (default person for `place`),
              "socket": "fingerprint.usb" (name inside the work directory),
              "record": a folder: the host's transfers go into FOLDER/kfp1.pcap (usbmon) and the
                        reader's umockdev description into FOLDER/kfp1.umockdev, for a libusb replay}

`start()` returns `kfp1+sim:unix:<workdir>/fingerprint.usb`. Control commands:

    place   identity, finger (ISO 1..10), quality 0..1, dryness, wetness, pressure, rotation, dx, dy,
            partial, noise, smudge (each 0..1 except rotation in degrees and dx/dy in px), image (a
            500 ppi image file instead of a synthetic finger)
    remove  lifts the finger
    fault   kind: stall | crc | busy | timeout (the next command unanswered) | capture_timeout (the next
            CAPTURE unanswered) | stale | unplug_mid_transfer, count (default 1)
    platen  residue: bool — a latent print left on the glass (what the self-test's platen check finds)
    info    the firmware's state and counters
plus unplug, replug and identity. The finger stays on the glass across unplug/replug, as a real one would.
This module must never import the daemon (kitd, hal).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from kitsim.device import ControlError, SimulatedDevice
from kitsim.fingerprint.firmware import FAULT_KINDS, KFP1Firmware, ReaderIdentity
from kitsim.prints.contact_quality import score_frame
from kitsim.prints.impression import Placement, load_image, render
from kitsim.prints.master import master_print
from kitsim.usb.function import ADDRESS, BUS, SPEED_HIGH, UsbFunction
from kitsim.usb.socket_server import UsbSocketServer
from kitsim.usb.umockdev import device_description
from kitsim.usb.usbmon import UsbmonRecorder

RECORDING = "kfp1.pcap"
DESCRIPTION = "kfp1.umockdev"


class FingerprintSimulator(SimulatedDevice):
    """The simulated fingerprint reader: KFP1 over the simulator's USB socket."""

    name: ClassVar[str] = "fingerprint"

    def __init__(self, workdir: Path, options: dict[str, Any]) -> None:
        super().__init__(workdir, options)
        self.reader = ReaderIdentity(serial=str(options.get("serial", ReaderIdentity.serial)))
        self.default_identity = str(options.get("identity", "person-0001"))
        self.socket_path = workdir / str(options.get("socket", "fingerprint.usb"))
        self._lock = threading.RLock()
        self._firmware: KFP1Firmware | None = None
        self._finger: tuple[NDArray[np.uint8], int] | None = None
        self._residue: NDArray[np.int16] | None = None
        self._placements = 0
        self._recorder: UsbmonRecorder | None = None
        if options.get("record"):
            folder = Path(str(options["record"]))
            folder.mkdir(parents=True, exist_ok=True)
            description = device_description(
                self.reader.spec(), speed=SPEED_HIGH, bus=BUS, address=ADDRESS
            )
            (folder / DESCRIPTION).write_text(description)
            self._recorder = UsbmonRecorder(folder / RECORDING, bus=BUS, address=ADDRESS)
        self._server = UsbSocketServer(self.socket_path, self._power_on, self._recorder)

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> str:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.replug()
        return f"kfp1+sim:unix:{self.socket_path}"

    def stop(self) -> None:
        self.unplug()
        if self._recorder is not None:
            self._recorder.close()

    def unplug(self) -> None:
        with self._lock:
            firmware, self._firmware = self._firmware, None
            self._server.unplug()
        if firmware is not None:
            firmware.halt()

    def replug(self) -> None:
        with self._lock:
            if not self._server.plugged:
                self._server.plug()

    def identity(self) -> dict[str, str]:
        r = self.reader
        return {"vendor": r.vendor, "model": r.model, "serial": r.serial, "firmware": r.firmware}

    def _power_on(self) -> UsbFunction:
        firmware = KFP1Firmware(self.reader, self._unplug_from_device)
        self._firmware = firmware
        if self._finger is not None:
            firmware.place(*self._finger)
        firmware.set_residue(self._residue)
        return firmware.function

    def _unplug_from_device(self) -> None:
        threading.Thread(target=self.unplug, name="kfp1-unplug", daemon=True).start()

    # -- control -------------------------------------------------------------------------------------

    def control(self, command: str, args: dict[str, Any]) -> dict[str, Any]:
        if command == "place":
            return self._place(args)
        if command == "remove":
            with self._lock:
                self._finger = None
                if self._firmware is not None:
                    self._firmware.remove()
            return {"finger": False}
        if command == "fault":
            kind = str(args.get("kind", ""))
            if kind not in FAULT_KINDS:
                raise ControlError(
                    f"fingerprint: fault kind must be one of {', '.join(FAULT_KINDS)}"
                )
            count = int(args.get("count", 1))
            with self._lock:
                firmware = self._require_firmware()
                firmware.arm(kind, count)
            return {"fault": kind, "count": count}
        if command == "platen":
            return self._platen(residue=bool(args.get("residue", False)))
        if command == "info":
            with self._lock:
                status: dict[str, Any] = {
                    "plugged": self._firmware is not None,
                    "source": f"kfp1+sim:unix:{self.socket_path}",
                }
                if self._firmware is not None:
                    status.update(self._firmware.status())
                return status
        return super().control(command, args)

    def _platen(self, *, residue: bool) -> dict[str, Any]:
        darkening = None
        if residue:
            # A latent print left by the last finger: half of a real print's contrast.
            frame = render(master_print("residue", 2), Placement.from_args({}, 7))
            darkening = np.rint((255 - frame.astype(np.int16)) * 0.5).astype(np.int16)
        with self._lock:
            self._residue = darkening
            if self._firmware is not None:
                self._firmware.set_residue(darkening)
        return {"residue": residue}

    def _require_firmware(self) -> KFP1Firmware:
        if self._firmware is None:
            raise ControlError("fingerprint: the reader is unplugged")
        return self._firmware

    def _place(self, args: dict[str, Any]) -> dict[str, Any]:
        identity = str(args.get("identity", self.default_identity))
        finger = int(args.get("finger", 2))
        if not 1 <= finger <= 10:
            raise ControlError(f"fingerprint: finger must be an ISO position 1..10, got {finger}")
        with self._lock:
            self._placements += 1
            number = self._placements
        result: dict[str, Any] = {"identity": identity, "finger": finger}
        image_path = args.get("image")
        try:
            if image_path:
                frame = load_image(Path(str(image_path)))
                result["image"] = str(image_path)
            else:
                digest = hashlib.sha256(f"{identity}/{finger}/{number}".encode()).digest()
                placement = Placement.from_args(args, int.from_bytes(digest[:8], "little"))
                master = master_print(identity, finger)
                frame = render(master, placement)
                result["pattern"] = master.pattern.value
        except ValueError as exc:
            raise ControlError(f"fingerprint: {exc}") from exc
        score = score_frame(frame)
        result.update(device_quality=score.quality, contact=score.contact_percent)
        with self._lock:
            self._finger = (frame, score.contact_percent)
            if self._firmware is not None:
                self._firmware.place(frame, score.contact_percent)
        return result

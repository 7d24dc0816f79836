"""The simulated KFP1 reader's firmware: commands, the 10 fps sensor loop, auto-capture, injected faults.

Commands arrive from the USB function (any socket thread) and are answered at once; the sensor loop owns
the frames: it scores each frame with the reader's cheap measure, streams previews, takes the final image
and raises events. Faults are armed by the simulator's control API and fire on the next matching
transfer. This module must never import the daemon (kitd, hal).
"""

from __future__ import annotations

import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from kitsim.fingerprint import wire
from kitsim.prints.contact_quality import score_frame
from kitsim.usb.function import (
    BULK,
    INTERRUPT,
    EndpointSpec,
    FunctionSpec,
    UsbFunction,
)

FRAME_PERIOD_S = 0.1
# Frames of steady contact after which the best frame is taken even below the threshold (1.5 s).
SETTLE_FRAMES = 15
# Contrast of the first frames after a finger lands: the skin is still flattening onto the glass.
LANDING_RAMP = (0.45, 0.75, 0.92)
WIDTH, HEIGHT, PPI, DECIMATION = 400, 500, 500, 2
# Grey level of the clean, empty platen.
PLATEN_WHITE = 248
EP_RESPONSE, EP_IMAGE, EP_EVENT = 0x81, 0x82, 0x83
FAULT_KINDS = ("stall", "crc", "busy", "timeout", "capture_timeout", "stale", "unplug_mid_transfer")


@dataclass(frozen=True)
class ReaderIdentity:
    """The simulated reader's identity and USB descriptors."""

    vendor: str = "Kitd Reference"
    model: str = "KFP1 Optical Fingerprint Reader"
    serial: str = "KFP1-0001"
    firmware: str = "1.2.0"
    vendor_id: int = 0x1D6B
    product_id: int = 0x0104

    def spec(self) -> FunctionSpec:
        major, minor = (int(p) for p in self.firmware.split(".")[:2])
        return FunctionSpec(
            vendor_id=self.vendor_id,
            product_id=self.product_id,
            bcd_device=(major << 8) | (minor & 0xFF),
            manufacturer=self.vendor,
            product=self.model,
            serial=self.serial,
            interface_name="KFP1",
            interface_class=0xFF,
            interface_subclass=0x4B,
            interface_protocol=0x01,
            endpoints=(
                EndpointSpec(0x01, BULK, 512),
                EndpointSpec(EP_RESPONSE, BULK, 512),
                EndpointSpec(EP_IMAGE, BULK, 512),
                EndpointSpec(EP_EVENT, INTERRUPT, 64, 4),
            ),
        )


@dataclass
class Finger:
    """A finger on the simulated reader's glass: the image it makes and how it landed."""

    frame: NDArray[np.uint8]
    contact: int
    landed_at_frame: int
    noise: list[NDArray[np.int16]]


@dataclass
class Capture:
    """A capture the simulated reader runs: its tag, deadline, threshold and mode."""

    tag: int
    deadline: float
    threshold: int
    preview: bool
    steady: int = 0
    best: tuple[int, NDArray[np.uint8]] | None = None

    def take(
        self, finger_age: int, quality: int, image: NDArray[np.uint8]
    ) -> tuple[int, NDArray[np.uint8]] | None:
        """Auto-capture on one more frame of a finger `finger_age` frames down: counts the frame,
        keeps the best settled one, and gives (quality, image) to send once a frame meets the
        threshold or the contact has been steady long enough; None until then.
        """
        self.steady += 1
        # A landing finger is still flattening; its frames only count when they meet the threshold.
        settled = finger_age >= len(LANDING_RAMP)
        if settled and (self.best is None or quality > self.best[0]):
            self.best = (quality, image)
        if quality >= self.threshold:
            return quality, image
        if self.steady >= SETTLE_FRAMES and self.best is not None:
            return self.best
        return None


@dataclass
class Faults:
    """The faults armed in the simulated reader, each for a number of times."""

    armed: dict[str, int] = field(default_factory=dict)

    def take(self, kind: str) -> bool:
        left = self.armed.get(kind, 0)
        if left <= 0:
            return False
        self.armed[kind] = left - 1
        return True


class KFP1Firmware:
    """The simulated reader's firmware: answers KFP1 commands and streams images and events."""

    def __init__(self, identity: ReaderIdentity, request_unplug: Callable[[], None]) -> None:
        # What each opcode does, called with the firmware's lock held: (opcode, tag, payload).
        self._commands: dict[int, Callable[[int, int, bytes], None]] = {
            wire.GET_INFO: self._get_info,
            wire.SET_LED: self._set_led,
            wire.GET_STATUS: self._get_status,
            wire.CAPTURE: self._start_capture,
            wire.ABORT: self._abort,
            wire.PREVIEW_START: self._start_preview,
            wire.PREVIEW_STOP: self._stop_preview,
            wire.RESET: self._reset,
        }
        self.identity = identity
        self.function = UsbFunction(identity.spec(), self._on_out)
        self._request_unplug = request_unplug
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._rng = np.random.default_rng(int.from_bytes(identity.serial.encode()[-4:], "little"))
        self.frames = 0
        self.led = False
        self.last_quality: int | None = None
        self.finger: Finger | None = None
        self.capture: Capture | None = None
        self.preview_tag: int | None = None
        self.faults = Faults()
        self.counters = {"commands": 0, "finals": 0, "previews": 0, "stale_sent": 0}
        # The empty platen: near-white with sensor noise; `residue` darkens it where a latent print
        # was left on the glass.
        self._platen_noise = [
            np.rint(self._rng.normal(0, 2.0, (HEIGHT, WIDTH))).astype(np.int16) for _ in range(4)
        ]
        self.residue: NDArray[np.int16] | None = None
        self._last_response: bytes | None = None
        self._thread = threading.Thread(target=self._run, name="kfp1-sensor", daemon=True)
        self._thread.start()

    # -- control side --------------------------------------------------------------------------------

    def halt(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=2.0)

    def place(self, frame: NDArray[np.uint8], contact: int) -> None:
        noise = [np.rint(self._rng.normal(0, 2.0, frame.shape)).astype(np.int16) for _ in range(4)]
        with self._lock:
            self.finger = Finger(frame, contact, self.frames, noise)
            tag = self._running_tag()
            if self.capture is not None:
                self.capture.steady = 0
                self.capture.best = None
        self._event(wire.FINGER_ON, tag, wire.OK, bytes([min(100, contact)]))
        self._wake.set()

    def remove(self) -> None:
        with self._lock:
            if self.finger is None:
                return
            self.finger = None
            tag = self._running_tag()
            if self.capture is not None:
                self.capture.steady = 0
                self.capture.best = None
        self._event(wire.FINGER_OFF, tag, wire.OK)

    def arm(self, kind: str, count: int) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
        with self._lock:
            self.faults.armed[kind] = self.faults.armed.get(kind, 0) + count

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "frames": self.frames,
                "led": self.led,
                "finger": self.finger is not None,
                "capturing": self.capture is not None,
                "preview": self.preview_tag is not None,
                "last_quality": self.last_quality,
                "faults": {k: v for k, v in self.faults.armed.items() if v},
                **self.counters,
            }

    # -- commands (socket threads) -------------------------------------------------------------------

    def _on_out(self, endpoint: int, data: bytes) -> None:
        try:
            command = wire.parse_command(data)
        except wire.BadCommand as bad:
            # Without a valid header there is no tag to answer to: the transfer is dropped.
            if bad.tag:
                self._respond(bad.opcode, bad.tag, bad.status)
            return
        with self._lock:
            self.counters["commands"] += 1
            # timeout: the next command goes unanswered, whichever it is (the supervisor's idle ping
            # too); capture_timeout: the next CAPTURE only.
            if self.faults.take("timeout") or (
                command.opcode == wire.CAPTURE and self.faults.take("capture_timeout")
            ):
                return
            if self.faults.take("stale"):
                self._send_stale(command.tag)
            if command.opcode in (wire.CAPTURE, wire.PREVIEW_START) and self.faults.take("busy"):
                self._respond(command.opcode, command.tag, wire.BUSY)
                return
            self._execute(command)

    def _execute(self, command: wire.Command) -> None:
        handler = self._commands.get(command.opcode)
        if handler is not None:
            handler(command.opcode, command.tag, command.payload)

    def _get_info(self, op: int, tag: int, payload: bytes) -> None:
        i = self.identity
        info = wire.info_payload(
            i.vendor_id,
            i.product_id,
            size=(WIDTH, HEIGHT),
            ppi=PPI,
            decimation=DECIMATION,
            strings=(i.vendor, i.model, i.serial, i.firmware),
        )
        self._respond(op, tag, wire.OK, info)

    def _set_led(self, op: int, tag: int, payload: bytes) -> None:
        if payload[0] > 1:
            self._respond(op, tag, wire.BAD_REQUEST)
            return
        self.led = bool(payload[0])
        self._respond(op, tag, wire.OK)

    def _get_status(self, op: int, tag: int, payload: bytes) -> None:
        state = 1 if self.capture else 2 if self.preview_tag else 0
        quality = 255 if self.last_quality is None else self.last_quality
        status = struct.pack(
            "<BBBBI", state, self.finger is not None, self.led, quality, self.frames
        )
        self._respond(op, tag, wire.OK, status)

    def _start_capture(self, op: int, tag: int, payload: bytes) -> None:
        timeout_ms, threshold, flags = struct.unpack("<IBB", payload)
        if not 1 <= timeout_ms <= 600_000 or threshold > 100 or flags & ~1:
            self._respond(op, tag, wire.BAD_REQUEST)
            return
        if self.capture is not None or self.preview_tag is not None:
            self._respond(op, tag, wire.BUSY)
            return
        deadline = time.monotonic() + timeout_ms / 1000.0
        self.capture = Capture(tag, deadline, threshold, bool(flags & 1))
        self._respond(op, tag, wire.OK)
        if self.finger is not None:
            self._event(wire.FINGER_ON, tag, wire.OK, bytes([self.finger.contact]))
        self._wake.set()

    def _abort(self, op: int, tag: int, payload: bytes) -> None:
        if self.capture is not None:
            self._event(wire.ERROR, self.capture.tag, wire.ABORTED)
        self.capture = None
        self.preview_tag = None
        self._respond(op, tag, wire.OK)

    def _start_preview(self, op: int, tag: int, payload: bytes) -> None:
        if self.capture is not None or self.preview_tag is not None:
            self._respond(op, tag, wire.BUSY)
            return
        self.preview_tag = tag
        self._respond(op, tag, wire.OK)
        if self.finger is not None:
            self._event(wire.FINGER_ON, tag, wire.OK, bytes([self.finger.contact]))

    def _stop_preview(self, op: int, tag: int, payload: bytes) -> None:
        self.preview_tag = None
        self._respond(op, tag, wire.OK)

    def _reset(self, op: int, tag: int, payload: bytes) -> None:
        self.capture = None
        self.preview_tag = None
        self.led = False
        for pipe in self.function.inputs.values():
            pipe.flush()
        self._respond(op, tag, wire.OK)

    def _respond(self, opcode: int, tag: int, status: int, payload: bytes = b"") -> None:
        data = wire.message(opcode, tag, status, payload)
        self._last_response = data
        self.function.inputs[EP_RESPONSE].put([data])

    def _event(self, code: int, tag: int, status: int, payload: bytes = b"") -> None:
        self.function.inputs[EP_EVENT].put([wire.message(code, tag, status, payload)])

    def _running_tag(self) -> int:
        if self.capture is not None:
            return self.capture.tag
        return self.preview_tag or 0

    def _send_stale(self, tag: int) -> None:
        """Data an earlier command left behind: a response, an event and an image, all with an old tag."""
        old = (tag - 1) & 0xFFFF or 0xFFFF
        response = self._last_response or wire.message(wire.GET_STATUS, old, wire.OK, bytes(8))
        self.function.inputs[EP_RESPONSE].put([response])
        self._event(wire.CAPTURE_DONE, old, wire.OK, struct.pack("<IB", self.frames, 50))
        blank = np.full((HEIGHT // DECIMATION, WIDTH // DECIMATION), 128, np.uint8)
        self.function.inputs[EP_IMAGE].put(
            wire.image_transfers(
                old,
                self.frames,
                blank.tobytes(),
                width=blank.shape[1],
                height=blank.shape[0],
                ppi=PPI // DECIMATION,
                kind=wire.PREVIEW,
            )
        )
        self.counters["stale_sent"] += 1

    def set_residue(self, darkening: NDArray[np.int16] | None) -> None:
        with self._lock:
            self.residue = darkening

    def _blank(self, frame_number: int) -> NDArray[np.uint8]:
        base = np.full((HEIGHT, WIDTH), PLATEN_WHITE, np.int16)
        if self.residue is not None:
            base -= self.residue
        noisy = base + self._platen_noise[frame_number % len(self._platen_noise)]
        return np.asarray(np.clip(noisy, 0, 255), np.uint8)

    # -- sensor loop ---------------------------------------------------------------------------------

    def _run(self) -> None:
        next_tick = time.monotonic() + FRAME_PERIOD_S
        while not self._stop.is_set():
            woken = self._wake.wait(max(0.0, next_tick - time.monotonic()))
            self._wake.clear()
            if self._stop.is_set():
                return
            now = time.monotonic()
            if not woken or now >= next_tick:
                next_tick = max(next_tick + FRAME_PERIOD_S, now + FRAME_PERIOD_S / 2)
            try:
                self._frame(now)
            except Exception as exc:  # noqa: BLE001 - a sensor fault, reported the way the reader would
                with self._lock:
                    capture, self.capture = self.capture, None
                if capture is not None:
                    self._event(wire.ERROR, capture.tag, wire.SENSOR_FAULT)
                print(f"kfp1 simulator: sensor frame failed: {exc!r}", file=sys.stderr, flush=True)

    def _sense(self, finger: Finger, frame_number: int) -> NDArray[np.uint8]:
        age = frame_number - finger.landed_at_frame
        base = finger.frame.astype(np.int16)
        if age < len(LANDING_RAMP):
            ramp = LANDING_RAMP[max(0, age)]
            base = (255 - np.rint((255 - base) * ramp)).astype(np.int16)
        noisy = base + finger.noise[frame_number % len(finger.noise)]
        return np.asarray(np.clip(noisy, 0, 255), np.uint8)

    def _frame(self, now: float) -> None:
        with self._lock:
            self.frames += 1
            frame_number = self.frames
            finger, capture, preview_tag = self.finger, self.capture, self.preview_tag
            if capture is not None and now > capture.deadline:
                self.capture = None
                self._event(wire.ERROR, capture.tag, wire.TIMEOUT)
                return
        if capture is None and preview_tag is None:
            return
        stream_tag = capture.tag if capture is not None and capture.preview else preview_tag
        if finger is None:
            # Nothing to capture; a preview shows the empty platen.
            if stream_tag is not None:
                self._send_preview(stream_tag, frame_number, self._blank(frame_number))
            return
        image = self._sense(finger, frame_number)
        score = score_frame(image)
        with self._lock:
            self.last_quality = score.quality
            if self.capture is not capture or self.preview_tag != preview_tag:
                return  # aborted or restarted while the frame was being read out
            if stream_tag is not None:
                self._send_preview(stream_tag, frame_number, image)
            if capture is None:
                return
            taken = capture.take(frame_number - finger.landed_at_frame, score.quality, image)
            if taken is None:
                return
            self.capture = None
            quality, final = taken
            self._send_final(capture.tag, frame_number, final, quality)

    def _send_preview(self, tag: int, frame_id: int, image: NDArray[np.uint8]) -> None:
        small = cv2.resize(
            image, (WIDTH // DECIMATION, HEIGHT // DECIMATION), interpolation=cv2.INTER_AREA
        )
        self.function.inputs[EP_IMAGE].put(
            wire.image_transfers(
                tag,
                frame_id,
                small.tobytes(),
                width=small.shape[1],
                height=small.shape[0],
                ppi=PPI // DECIMATION,
                kind=wire.PREVIEW,
            )
        )
        self.counters["previews"] += 1

    def _send_final(self, tag: int, frame_id: int, image: NDArray[np.uint8], quality: int) -> None:
        transfers = wire.image_transfers(
            tag, frame_id, image.tobytes(), width=WIDTH, height=HEIGHT, ppi=PPI, kind=wire.FINAL
        )
        pipe = self.function.inputs[EP_IMAGE]
        self.counters["finals"] += 1
        if self.faults.take("stall"):
            pipe.halt()
        elif self.faults.take("unplug_mid_transfer"):
            pipe.put(transfers[: len(transfers) // 2])
            threading.Thread(target=self._unplug_after_drain, daemon=True).start()
            return
        else:
            if self.faults.take("crc"):
                damaged = bytearray(transfers[len(transfers) // 2])
                damaged[100] ^= 0x5A
                transfers[len(transfers) // 2] = bytes(damaged)
            pipe.put(transfers)
        self._event(wire.CAPTURE_DONE, tag, wire.OK, struct.pack("<IB", frame_id, quality))

    def _unplug_after_drain(self) -> None:
        # The host has read the first half of the image when the cable goes.
        self.function.inputs[EP_IMAGE].wait_empty(timeout=5.0)
        self._request_unplug()

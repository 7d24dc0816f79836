"""Self-test of the fingerprint reader: USB link speed, a clean platen (blank frame uniform, no residual
print), the blank frame's light level and noise, the finger detection round trip, and the image size and
resolution the reader reports.

The blank-frame checks need a picture of the empty platen. A driver offers it through `blank_frame`
(`PlatenFrames` below); with a driver that does not, those checks are skipped and say so. The probe only
reads images; it never changes the reader's settings.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Protocol, cast, runtime_checkable

import cv2
import numpy as np
from numpy.typing import NDArray

from hal.device import Device
from hal.errors import DeviceTimeout
from hal.fingerprint.base import FingerOn, FingerprintImage, FingerprintScanner, ImageKind
from kitd.selftest.context import SelfTestContext
from kitd.selftest.device_probe import DeviceProbe
from kitd.selftest.picture import png_picture
from kitd.selftest.probe import CheckSpec, ProbeItem
from kitd.selftest.prompts import Prompt
from kitd.selftest.result import Verdict

LINK_SPEED = CheckSpec("fingerprint.link_speed", "Fingerprint reader USB link speed")
PLATEN_CLEAN = CheckSpec("fingerprint.platen_clean", "Platen clean (no residual print)")
DYNAMIC_RANGE = CheckSpec("fingerprint.dynamic_range", "Blank platen light level")
NOISE = CheckSpec("fingerprint.noise", "Blank platen noise")
DETECTION = CheckSpec("fingerprint.finger_detection", "Finger detected and captured")
IMAGE_SIZE = CheckSpec("fingerprint.image_size", "Fingerprint image size")
RESOLUTION = CheckSpec("fingerprint.resolution", "Fingerprint image resolution")

# The final image must cover a flat finger: 400 x 500 px at 500 ppi is 20.3 x 25.4 mm.
MIN_SIZE_MM = (20.0, 25.0)
# A blank pixel this much darker than the platen's local background looks like ridge residue.
RESIDUE_DEPTH = 35
# Retry period while waiting for the technician to lift the finger.
LIFT_POLL_S = 1.0
# USB speeds by name, Mbit/s.
_SPEEDS = {"low": 1.5, "full": 12.0, "high": 480.0, "super": 5000.0, "superplus": 10000.0}


@runtime_checkable
class PlatenFrames(Protocol):
    """A reader that can show its empty platen (a sensor frame without starting a capture)."""

    def blank_frame(self, timeout: float) -> FingerprintImage: ...


class FingerprintProbe(DeviceProbe):
    """The fingerprint reader's self-test: link speed, the blank platen, a finger and its image."""

    device = "fingerprint"
    noun = "fingerprint reader"
    connection = "its USB cable"
    title = "Fingerprint reader"

    def device_checks(self, context: SelfTestContext) -> tuple[CheckSpec, ...]:
        return (
            LINK_SPEED,
            PLATEN_CLEAN,
            DYNAMIC_RANGE,
            NOISE,
            DETECTION,
            IMAGE_SIZE,
            RESOLUTION,
        )

    def run_device(self, context: SelfTestContext, device: Device) -> Iterator[ProbeItem]:
        scanner = cast(FingerprintScanner, device)
        limits = context.limits
        yield self._link_speed(context, scanner)
        if isinstance(scanner, PlatenFrames):
            yield Prompt.CLEAR_PLATEN
            blank = scanner.blank_frame(timeout=5.0)
            yield from self._blank(context, blank)
        else:
            for spec in (PLATEN_CLEAN, DYNAMIC_RANGE, NOISE):
                yield spec.result(
                    Verdict.SKIPPED,
                    hint="Not run: this reader's driver cannot show the empty platen.",
                )
        yield Prompt.PLACE_FINGER
        started = time.monotonic()
        final: FingerprintImage | None = None
        detected_after: float | None = None
        try:
            for event in scanner.scan(timeout=limits.interaction_timeout_s, preview=False):
                if isinstance(event, FingerOn) and detected_after is None:
                    detected_after = time.monotonic() - started
                if isinstance(event, FingerprintImage) and event.kind is ImageKind.FINAL:
                    final = event
        except DeviceTimeout:
            final = None
        if final is None:
            yield DETECTION.result(
                Verdict.FAIL,
                limit="finger on, image, finger off",
                hint="No finger was detected. Put a finger flat on the glass and press lightly; "
                "clean the glass; if the reader never reacts, replug it, and replace it if it "
                "still does not.",
            )
            for spec in (IMAGE_SIZE, RESOLUTION):
                yield spec.result(Verdict.SKIPPED, hint="Not run: no fingerprint was captured.")
            return
        yield Prompt.REMOVE_FINGER
        lifted = _wait_for_lift(scanner, limits.interaction_timeout_s)
        elapsed = detected_after if detected_after is not None else time.monotonic() - started
        if lifted:
            yield DETECTION.result(
                Verdict.PASS, value=elapsed, unit="s", limit="finger on, image, finger off"
            )
        else:
            yield DETECTION.result(
                Verdict.FAIL,
                value=elapsed,
                unit="s",
                limit="finger on, image, finger off",
                hint="The reader still sees a finger after it was lifted: the glass is dirty or "
                "wet. Clean and dry it with a lint-free cloth and run the self-test again.",
            )
        width_mm = final.width / final.ppi * 25.4 if final.ppi else 0.0
        height_mm = final.height / final.ppi * 25.4 if final.ppi else 0.0
        size_ok = width_mm >= MIN_SIZE_MM[0] and height_mm >= MIN_SIZE_MM[1]
        yield IMAGE_SIZE.result(
            Verdict.PASS if size_ok else Verdict.FAIL,
            value=final.width * final.height,
            unit="px",
            limit=f">= {MIN_SIZE_MM[0]:g} x {MIN_SIZE_MM[1]:g} mm",
            hint=""
            if size_ok
            else f"The reader delivers {final.width} x {final.height} px ({width_mm:.1f} x "
            f"{height_mm:.1f} mm): too small for a flat finger. This is not the kit's reader "
            "model or its firmware is wrong; replace it.",
            picture=png_picture(final.pixels, final.ppi),
        )
        wrong_ppi = (
            f"The reader reports {final.ppi} ppi; packages need 500 ppi. Have the reader's "
            "firmware checked or replace the reader."
        )
        yield RESOLUTION.measured(
            final.ppi, limits.fingerprint_ppi, {Verdict.WARN: wrong_ppi, Verdict.FAIL: wrong_ppi}
        )

    def _link_speed(self, context: SelfTestContext, scanner: FingerprintScanner) -> ProbeItem:
        limit = context.limits.fingerprint_link_speed
        speed = usb_speed_mbps(scanner.info.details)
        if speed is None:
            return LINK_SPEED.result(
                Verdict.SKIPPED,
                unit=limit.unit,
                limit=limit.describe(),
                hint="Not checked: the reader does not report its USB speed.",
            )
        slow = (
            f"The reader runs at {speed:g} Mbit/s instead of USB high speed: captures take "
            "longer. Plug it straight into the board (no hub, no extension) and replace the "
            "cable if it stays slow."
        )
        return LINK_SPEED.measured(speed, limit, {Verdict.WARN: slow, Verdict.FAIL: slow})

    def _blank(self, context: SelfTestContext, blank: FingerprintImage) -> Iterator[ProbeItem]:
        limits = context.limits
        residue, level, noise = blank_figures(blank.pixels)
        picture = png_picture(blank.pixels, blank.ppi)
        yield PLATEN_CLEAN.measured(
            residue,
            limits.fingerprint_residue,
            {
                Verdict.WARN: f"{residue:.1f} % of the empty platen shows marks (a previous print, "
                "dust). Clean the glass with a lint-free cloth, slightly damp, and dry it.",
                Verdict.FAIL: f"The empty platen shows a residual print or dirt on {residue:.1f} % "
                "of its area: the next captures will be spoiled. Clean the glass with a lint-free "
                "cloth (a drop of isopropyl alcohol for grease), dry it, and run the self-test again.",
            },
            picture=picture,
        )
        dim = (
            f"The empty platen reads grey level {level:.0f} instead of near white: the reader's "
            "light is weak or the glass is covered. Clean the glass and check that nothing lies "
            "on it; if it stays dark, the reader's light has failed: replace the reader."
        )
        yield DYNAMIC_RANGE.measured(
            level, limits.fingerprint_background, {Verdict.WARN: dim, Verdict.FAIL: dim}
        )
        noisy = (
            f"The empty platen is noisy ({noise:.1f} grey levels): prints will be grainy. Keep "
            "the reader out of direct sunlight, replug it; if it stays noisy, replace the reader."
        )
        yield NOISE.measured(
            noise, limits.fingerprint_noise, {Verdict.WARN: noisy, Verdict.FAIL: noisy}
        )


def blank_figures(pixels: NDArray[np.uint8]) -> tuple[float, float, float]:
    """(residue % of the area, background grey level, noise) of an empty-platen frame.

    Residue: pixels clearly darker than the platen's smooth local background (ridges left by a previous
    finger, dirt). Noise: robust standard deviation of what a 3 x 3 median removes.
    """
    image = np.asarray(pixels, np.uint8)
    smooth = cv2.medianBlur(image, 3)
    background = cv2.GaussianBlur(smooth.astype(np.float32), (0, 0), 15)
    level = float(np.median(smooth))
    # Against the global level too: a large smudge drags its own local background down.
    reference = np.maximum(background, np.float32(level) * 0.9)
    residue = float(np.mean(smooth.astype(np.float32) < reference - RESIDUE_DEPTH)) * 100.0
    detail = image.astype(np.float32) - smooth.astype(np.float32)
    noise = float(1.4826 * np.median(np.abs(detail - np.median(detail))))
    return residue, level, noise


def usb_speed_mbps(details: dict[str, str]) -> float | None:
    """The USB speed from a driver's identity details ("high", "480", "480 Mbit/s", "high-speed")."""
    for key, value in details.items():
        if "speed" not in key.lower():
            continue
        text = value.strip().lower()
        number = re.search(r"\d+(\.\d+)?", text)
        if number:
            return float(number.group())
        for name, speed in _SPEEDS.items():
            if text.replace("-", "").replace("_", "").startswith(name):
                return speed
    return None


def _wait_for_lift(scanner: FingerprintScanner, timeout: float) -> bool:
    """True once a short capture times out, which means nothing rests on the glass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            scanner.capture(timeout=LIFT_POLL_S)
        except DeviceTimeout:
            return True
    return False

"""Self-test of the camera: frame rate, resolution, exposure on the current scene, and sharpness and grey
balance on the printed chart (kitd/selftest/chart.py).

Everything is measured on the frames the driver delivers, as a visit would see them. The probe only
reads frames; it never changes a camera control.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import cast

import cv2
import numpy as np

from hal.camera.base import FRAME_GAP_S, Camera, Frame
from hal.device import Device
from kitd.selftest.chart_reading import ChartNotFound, ChartReading, draw_overlay, read_chart
from kitd.selftest.context import SelfTestContext
from kitd.selftest.device_probe import DeviceProbe
from kitd.selftest.picture import jpeg_picture
from kitd.selftest.probe import CheckSpec, ProbeItem
from kitd.selftest.prompts import Prompt
from kitd.selftest.result import Verdict

FRAME_RATE = CheckSpec("camera.frame_rate", "Camera frame rate")
RESOLUTION = CheckSpec("camera.resolution", "Camera resolution")
EXPOSURE = CheckSpec("camera.exposure", "Exposure of the current scene")
SHARPNESS = CheckSpec("camera.sharpness", "Sharpness on the chart (slanted edge)")
GREY_BALANCE = CheckSpec("camera.grey_balance", "Grey balance on the chart")

# Frames are counted over this long (or this many) to measure the rate.
RATE_WINDOW_S = 1.5
RATE_FRAMES = 45
FRAME_TIMEOUT_S = FRAME_GAP_S
# The chart counts as held still when its corners move less than this between two frames (pixels).
STILL_PX = 3.0


class CameraProbe(DeviceProbe):
    """The camera's self-test: frame rate, resolution, exposure, sharpness and grey balance."""

    device = "camera"
    noun = "camera"
    connection = "its USB cable and that nothing else uses the camera"
    title = "Camera"

    def device_checks(self, context: SelfTestContext) -> tuple[CheckSpec, ...]:
        return (FRAME_RATE, RESOLUTION, EXPOSURE, SHARPNESS, GREY_BALANCE)

    def run_device(self, context: SelfTestContext, device: Device) -> Iterator[ProbeItem]:
        camera = cast(Camera, device)
        limits = context.limits
        frames = _collect(camera)
        span = frames[-1].grabbed_at - frames[0].grabbed_at
        fps = (len(frames) - 1) / span if span > 0 else 0.0
        yield FRAME_RATE.measured(
            fps,
            limits.camera_frame_rate,
            {
                Verdict.WARN: f"The camera delivers {fps:.0f} frames per second: live guidance "
                "will stutter. Plug the camera straight into the board (no hub) and close other "
                "programs using it.",
                Verdict.FAIL: f"The camera delivers only {fps:.1f} frames per second. Plug it "
                "straight into a USB 3 port of the board (no hub, no extension), then replug; "
                "if it stays slow, replace the camera or its cable.",
            },
        )
        latest = frames[-1]
        width, height = latest.size
        yield RESOLUTION.measured(
            height,
            limits.camera_lines,
            {
                Verdict.WARN: f"The camera gives {width} x {height} pixels: photos will be soft. "
                "Check the camera source options (w=, h=) in kitd.toml.",
                Verdict.FAIL: f"The camera gives only {width} x {height} pixels, too few for an ICAO "
                "photo. Set w=1920&h=1080 in the camera source in kitd.toml, or replace the camera.",
            },
        )
        yield self._exposure(context, latest)
        yield Prompt.SHOW_CHART
        reading, problem, frame = _wait_for_chart(camera, limits.interaction_timeout_s)
        picture = jpeg_picture(draw_overlay(frame.image, reading))
        if reading is None:
            hint = (
                f"The chart was not found ({problem}). Print it with `kit-selftest chart --out "
                "chart.png` at 100 %, hold it flat and upright in front of the camera in good light, "
                "filling about half of the picture, and run the self-test again."
            )
            yield SHARPNESS.result(Verdict.FAIL, unit="cycles/pixel", hint=hint, picture=picture)
            yield GREY_BALANCE.result(
                Verdict.SKIPPED, unit="%", hint="Not run: the chart was not found."
            )
            return
        yield SHARPNESS.measured(
            reading.mtf50,
            limits.camera_sharpness,
            {
                Verdict.WARN: "The picture is slightly soft. Clean the lens with a dry cloth and "
                "check the focus (autofocus on, or focus set for the face distance).",
                Verdict.FAIL: "The picture is blurred. Clean the lens, remove any protective film, "
                "check the focus setting, and hold the chart at the face distance; if it stays "
                "blurred the camera needs service.",
            },
            picture=picture,
        )
        yield GREY_BALANCE.measured(
            reading.grey_cast_percent,
            limits.camera_grey_balance,
            {
                Verdict.WARN: "The grey steps show a colour cast: switch the camera's automatic "
                "white balance on (source option auto_wb=1) and avoid mixed light (window and lamp).",
                Verdict.FAIL: "The grey steps are clearly coloured: photos will have unnatural skin "
                "tones. Switch automatic white balance on (auto_wb=1), use the kit's own light, "
                "and check that the chart is lit evenly.",
            },
        )

    def _exposure(self, context: SelfTestContext, frame: Frame) -> ProbeItem:
        grey = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY)
        mean = float(np.mean(grey))
        limit = context.limits.camera_exposure
        if mean < limit.low:
            problem = (
                f"The picture is too dark (mean grey {mean:.0f}). Switch on the kit's light, open "
                "the lens cover, turn up the room light; if the camera's exposure is set in "
                "kitd.toml (exposure=, gain=), raise it or remove it."
            )
        else:
            problem = (
                f"The picture is too bright (mean grey {mean:.0f}). Turn the camera away from the "
                "window or lamp, dim the light behind the person; if exposure or gain is set in "
                "kitd.toml, lower it."
            )
        return EXPOSURE.measured(
            mean,
            limit,
            {Verdict.WARN: problem, Verdict.FAIL: problem},
            picture=jpeg_picture(frame.image),
        )


def _collect(camera: Camera) -> list[Frame]:
    frames: list[Frame] = []
    for frame in camera.frames(timeout=FRAME_TIMEOUT_S):
        frames.append(frame)
        if len(frames) >= RATE_FRAMES or frame.grabbed_at - frames[0].grabbed_at >= RATE_WINDOW_S:
            break
    return frames


def _wait_for_chart(camera: Camera, timeout: float) -> tuple[ChartReading | None, str, Frame]:
    """Reads the chart from the first frame where it is found held still; (None, why, last frame)."""
    deadline = time.monotonic() + timeout
    previous: ChartReading | None = None
    problem = "no frame"
    frame = camera.snapshot(FRAME_TIMEOUT_S)
    for frame in camera.frames(timeout=FRAME_TIMEOUT_S):
        try:
            reading = read_chart(frame.image)
        except ChartNotFound as exc:
            problem, previous = str(exc), None
        else:
            if previous is not None and _still(previous, reading):
                return reading, "", frame
            previous = reading
        if time.monotonic() > deadline:
            break
    return None, problem, frame


def _still(before: ChartReading, after: ChartReading) -> bool:
    moved = np.abs(before.view.corners - after.view.corners).max()
    return bool(moved <= STILL_PX)

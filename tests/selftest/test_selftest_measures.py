"""The self-test's measurements as pure functions: the printed chart read back, the slanted edge, the
blank platen figures, verdicts and exit codes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kitd.selftest.chart import render_chart
from kitd.selftest.chart_reading import ChartNotFound, read_chart
from kitd.selftest.fingerprint import blank_figures, usb_speed_mbps
from kitd.selftest.limits import Limits
from kitd.selftest.result import CheckResult, ExitCode, Mode, Report, Verdict


def chart_in_frame(blur: float = 0.0, cast: tuple[float, float, float] = (1, 1, 1)) -> np.ndarray:
    page = render_chart(dpi=100)
    frame = np.full((720, 1280, 3), 200, np.uint8)
    height = 620
    width = round(page.shape[1] * height / page.shape[0])
    small = cv2.resize(page, (width, height), interpolation=cv2.INTER_AREA)
    x0, y0 = (1280 - width) // 2, 50
    frame[y0 : y0 + height, x0 : x0 + width] = small[:, :, None]
    image = np.clip(frame.astype(np.float64) * np.array(cast), 0, 255).astype(np.uint8)
    if blur:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    return image


def test_printed_chart_is_found_and_read_sharp_and_neutral() -> None:
    reading = read_chart(chart_in_frame())
    limits = Limits()
    assert limits.camera_sharpness.judge(reading.mtf50) is Verdict.PASS
    assert limits.camera_grey_balance.judge(reading.grey_cast_percent) is Verdict.PASS
    assert [s.level for s in reading.steps] == sorted(
        (s.level for s in reading.steps), reverse=True
    )


def test_blurred_chart_fails_sharpness() -> None:
    sharp = read_chart(chart_in_frame()).mtf50
    blurred = read_chart(chart_in_frame(blur=3.0)).mtf50
    assert blurred < sharp / 2
    assert Limits().camera_sharpness.judge(blurred) is Verdict.FAIL


def test_colour_cast_on_the_grey_steps_fails_grey_balance() -> None:
    reading = read_chart(chart_in_frame(cast=(0.8, 1.0, 1.2)))
    assert Limits().camera_grey_balance.judge(reading.grey_cast_percent) is Verdict.FAIL


def test_frame_without_chart_is_reported_not_found() -> None:
    with pytest.raises(ChartNotFound):
        read_chart(np.full((720, 1280, 3), 180, np.uint8))


def blank_platen(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(225 + rng.normal(0, 2.5, (500, 400)), 0, 255).astype(np.uint8)


def test_clean_blank_platen_passes_residue_light_and_noise() -> None:
    residue, level, noise = blank_figures(blank_platen())
    limits = Limits()
    assert limits.fingerprint_residue.judge(residue) is Verdict.PASS
    assert limits.fingerprint_background.judge(level) is Verdict.PASS
    assert limits.fingerprint_noise.judge(noise) is Verdict.PASS


def test_residual_print_on_the_platen_fails_platen_clean() -> None:
    image = blank_platen().astype(np.float64)
    y, x = np.mgrid[0:500, 0:400]
    ridges = np.sin(x / 2.0 + 2 * np.sin(y / 40.0)) > 0.3
    latent = ((x - 200) / 90.0) ** 2 + ((y - 260) / 130.0) ** 2 < 1
    image[ridges & latent] -= 80
    residue, _, _ = blank_figures(np.clip(image, 0, 255).astype(np.uint8))
    assert Limits().fingerprint_residue.judge(residue) is Verdict.FAIL


@pytest.mark.parametrize(
    ("details", "speed"),
    [
        ({"usb_speed": "high"}, 480.0),
        ({"usb_speed": "480 Mbit/s"}, 480.0),
        ({"speed": "full-speed"}, 12.0),
        ({"ppi": "500"}, None),
    ],
)
def test_usb_speed_is_read_from_the_driver_details(
    details: dict[str, str], speed: float | None
) -> None:
    assert usb_speed_mbps(details) == speed


def report_of(*verdicts: Verdict) -> Report:
    checks = tuple(CheckResult(f"c.{i}", "c", v) for i, v in enumerate(verdicts))
    return Report(checks, Mode.DIRECT, 0.0, 1.0)


@pytest.mark.parametrize(
    ("verdicts", "code"),
    [
        ((Verdict.PASS, Verdict.SKIPPED), ExitCode.ALL_PASS),
        ((Verdict.PASS, Verdict.WARN), ExitCode.WARNINGS),
        ((Verdict.WARN, Verdict.FAIL, Verdict.PASS), ExitCode.FAILURES),
    ],
)
def test_exit_code_follows_the_worst_verdict(verdicts: tuple[Verdict, ...], code: ExitCode) -> None:
    assert report_of(*verdicts).exit_code is code

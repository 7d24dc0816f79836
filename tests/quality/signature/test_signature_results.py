"""Signature results: checks with guidance, rendering, thresholds from the policy, the ISO record."""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np
import pytest

from hal.signpad.base import PadInfo, PenFlags, PenSample
from kitd.locale import english
from kitd.quality.signature import SignatureThresholds, assess_signature
from kitd.records.iso19794_7 import (
    SignatureRecordError,
    decode_iso19794_7,
    decode_scale,
    encode_iso19794_7,
    encode_scale,
)
from kitsim.signpad.handwriting import generate_signature
from kitsim.signpad.strokes import PadGeometry, plan_samples

PAD = PadInfo(
    max_x=9600,
    max_y=4000,
    max_pressure=1023,
    rate_hz=200,
    lpi=2540,
    screen_width=480,
    screen_height=200,
)


def samples_of(script: dict[str, object]) -> list[PenSample]:
    planned = plan_samples(script, PadGeometry(PAD.max_x, PAD.max_y, PAD.max_pressure, PAD.rate_hz))
    return [
        PenSample(1_000_000 + p.offset_us, p.x, p.y, p.pressure, PenFlags(p.flags)) for p in planned
    ]


def failed(samples: list[PenSample], **overrides: float) -> dict[str, str]:
    thresholds = SignatureThresholds.from_dict(overrides)
    result = assess_signature(samples, PAD, thresholds)
    return {c.id: english(c.guidance) for c in result.checks if c.guidance is not None}


@pytest.mark.parametrize("name", ["A. Citizen", "Jan Peeters", "Marie-Louise Van den Bossche", "Ö"])
def test_generated_signatures_pass_every_check(name: str) -> None:
    result = assess_signature(samples_of(generate_signature(name)), PAD)
    assert [c.id for c in result.checks] == [
        "not_empty",
        "ink_length",
        "stroke_count",
        "duration",
        "inside_box",
        "not_dot_or_line",
        "samples_dropped",
    ]
    assert result.passed, [c for c in result.checks if not c.passed]
    assert result.quality == 100


def test_an_empty_signature_fails_not_empty_with_guidance() -> None:
    hover_only = [PenSample(i * 5000, 100, 100, 0, PenFlags.IN_RANGE) for i in range(50)]
    for samples in ([], hover_only):
        result = assess_signature(samples, PAD)
        not_empty = next(c for c in result.checks if c.id == "not_empty")
        assert not not_empty.passed
        assert not_empty.guidance is not None
        text = english(not_empty.guidance)
        assert "no signature" in text and "inside the box" in text
        assert result.quality == 0


def test_a_dot_fails_not_dot_or_line() -> None:
    dot = {"strokes": [{"points": [[0, 0.5, 0.5, 0.6], [400, 0.501, 0.5, 0.6]]}]}
    assert "only a dot" in failed(samples_of(dot))["not_dot_or_line"]


def test_a_straight_line_fails_not_dot_or_line() -> None:
    line = {"strokes": [{"points": [[0, 0.1, 0.5, 0.6], [900, 0.9, 0.5, 0.6]]}]}
    assert "straight line" in failed(samples_of(line))["not_dot_or_line"]


def test_a_quick_tap_fails_duration() -> None:
    tap = {"strokes": [{"points": [[0, 0.4, 0.4, 0.6], [100, 0.6, 0.6, 0.6]]}]}
    assert "too quick" in failed(samples_of(tap))["duration"]


def test_ink_on_the_border_fails_inside_box() -> None:
    edge = {
        "strokes": [{"points": [[0, 0.0, 0.2, 0.6], [800, 0.0, 0.8, 0.6], [1600, 0.3, 0.5, 0.5]]}]
    }
    assert "edge" in failed(samples_of(edge))["inside_box"]


def test_too_many_strokes_fail_stroke_count() -> None:
    samples = samples_of(generate_signature("Jan Peeters"))
    assert "strokes" in failed(samples, max_strokes=2)["stroke_count"]


def dropped_between(samples: list[PenSample], start: int, stop: int) -> list[PenSample]:
    """The samples with start..stop-1 lost on the link and the next one flagged, as the driver does."""
    after = samples[stop]
    flagged = PenSample(
        after.time_us, after.x, after.y, after.pressure, after.flags | PenFlags.SAMPLES_DROPPED
    )
    return [*samples[:start], flagged, *samples[stop + 1 :]]


def test_a_long_loss_of_samples_fails_samples_dropped() -> None:
    samples = samples_of(generate_signature("Jan Peeters"))
    assert "cable" in failed(dropped_between(samples, 100, 130))["samples_dropped"]


def test_a_short_loss_of_samples_is_bridged() -> None:
    samples = samples_of(generate_signature("Jan Peeters"))
    assert "samples_dropped" not in failed(dropped_between(samples, 100, 103))


def test_policy_overrides_thresholds_and_rejects_unknown_names() -> None:
    thresholds = SignatureThresholds.from_dict({"min_ink_mm": 5, "max_strokes": 10})
    assert thresholds.min_ink_mm == 5.0 and thresholds.max_strokes == 10
    with pytest.raises(ValueError, match="unknown signature threshold"):
        SignatureThresholds.from_dict({"min_ink": 5})
    with pytest.raises(ValueError, match="must be a number"):
        SignatureThresholds.from_dict({"min_ink_mm": "5"})


def test_render_is_fixed_size_grey_and_cropped_to_the_ink() -> None:
    # A small signature in one corner of the pad still fills the image.
    small = {
        "strokes": [
            {"points": [[0, 0.05, 0.05, 0.5], [500, 0.15, 0.12, 0.9], [900, 0.1, 0.1, 0.4]]}
        ]
    }
    result = assess_signature(samples_of(small), PAD, width=600, height=200)
    image = cv2.imdecode(np.frombuffer(result.png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert image.shape == (200, 600) and image.dtype == np.uint8
    rows, cols = np.nonzero(image < 128)
    assert (cols.min() < 100 and cols.max() > 500) or (rows.min() < 40 and rows.max() > 160)
    assert image[0, 0] == 255


def test_heavier_pressure_draws_a_thicker_line() -> None:
    def ink_pixels(pressure: float) -> int:
        stroke = {"strokes": [{"points": [[0, 0.1, 0.3, pressure], [900, 0.9, 0.7, pressure]]}]}
        image = assess_signature(samples_of(stroke), PAD).image
        return int((image < 128).sum())

    assert ink_pixels(1.0) > 1.5 * ink_pixels(0.1)


def test_iso_record_round_trips_every_channel() -> None:
    samples = samples_of(generate_signature("A. Citizen"))
    when = datetime(2025, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)
    record = decode_iso19794_7(encode_iso19794_7(samples, PAD, when))
    assert record.captured_at == when
    assert record.channel_names == ("X", "Y", "T", "F", "S")
    assert record.channel("X") == [s.x for s in samples]
    assert record.channel("Y") == [s.y for s in samples]
    assert record.channel("F") == [s.pressure for s in samples]
    assert record.channel("S") == [int(s.tip) for s in samples]
    assert record.channel("T") == [(s.time_us - samples[0].time_us) // 1000 for s in samples]
    assert record.channels["X"].maximum == PAD.max_x
    assert record.channels["X"].scale == pytest.approx(100.0, rel=1e-3)  # units per mm
    assert record.channels["T"].scale == 1000.0


def test_iso_record_header_is_sdi_version_010_with_its_length() -> None:
    data = encode_iso19794_7(samples_of(generate_signature("Jan")), PAD)
    assert data[:8] == b"SDI\x00010\x00"
    assert int.from_bytes(data[8:12], "big") == len(data)


def test_a_damaged_iso_record_is_refused() -> None:
    data = encode_iso19794_7(samples_of(generate_signature("Jan")), PAD)
    with pytest.raises(SignatureRecordError):
        decode_iso19794_7(data[:-7])
    with pytest.raises(SignatureRecordError):
        decode_iso19794_7(b"FIR\x00" + data[4:])


@pytest.mark.parametrize("value", [1.0, 100.0, 1000.0, 0.5, 3.14159, 39.37])
def test_scale_encoding_round_trips_within_its_precision(value: float) -> None:
    assert decode_scale(encode_scale(value)) == pytest.approx(value, rel=1 / 2048)

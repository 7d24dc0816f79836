"""The matcher's extractor on drawn ridge patterns: what it must find, what it must not, and which way a
minutia points (ISO/IEC 19794-2 angles, counter-clockwise with y up)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from kitd.matching.enhancement import enhance, ridge_period
from kitd.matching.extraction import extract_template
from kitd.matching.template import MinutiaKind

SIZE = 300
PERIOD = 10


def stripes(period: float = PERIOD, size: int = SIZE) -> NDArray[np.uint8]:
    """Horizontal dark ridges every `period` pixels (ridge centres at y = k * period)."""
    y = np.arange(size, dtype=np.float64)[:, None]
    ink = 0.5 + 0.5 * np.cos(2 * np.pi * y / period)
    return np.repeat(np.clip(230 - 180 * ink, 0, 255), size, axis=1).astype(np.uint8)


def cut_ridge(image: NDArray[np.uint8], row: int, columns: slice) -> NDArray[np.uint8]:
    """The ridge centred on `row` replaced by valley over `columns`."""
    out = image.copy()
    half = PERIOD // 2
    out[row - half + 1 : row + half, columns] = 230
    return out


@pytest.mark.parametrize("period", [7.0, 9.0, 12.0])
def test_the_ridge_period_is_read_from_the_spectrum(period: float) -> None:
    image = stripes(period).astype(np.float32) - 140
    area = np.ones_like(image, dtype=np.uint8)
    assert ridge_period(image, area) == pytest.approx(period, rel=0.08)


def test_unbroken_parallel_ridges_have_no_minutiae() -> None:
    assert extract_template(stripes()).count == 0


def minutia(x0: float, y0: float, *, ink_inverted: bool = False) -> NDArray[np.uint8]:
    """Horizontal ridges with one minutia at (x0, y0): the phase turns once around it, so the right
    side has one ridge more than the left (an ending, or, with the ink inverted, a bifurcation, both
    opening to the right)."""
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float64)
    phase = yy / PERIOD + np.arctan2(yy - y0, xx - x0) / (2 * np.pi)
    ink = 0.5 + 0.5 * np.cos(2 * np.pi * phase)
    if ink_inverted:
        ink = 1 - ink
    return np.clip(230 - 180 * ink, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("ink_inverted", [False, True])
@pytest.mark.parametrize(("x0", "y0"), [(150.0, 150.0), (140.0, 163.0), (171.0, 128.0)])
def test_one_minutia_is_found_where_it_is_pointing_to_its_open_side(
    x0: float, y0: float, *, ink_inverted: bool
) -> None:
    template = extract_template(minutia(x0, y0, ink_inverted=ink_inverted))
    assert template.count == 1
    assert abs(template.x[0] - x0) <= 4 and abs(template.y[0] - y0) <= 4
    # Ending or bifurcation, the minutia points to the side with the extra ridge: right, angle 0.
    assert abs(np.angle(np.exp(1j * float(template.angle[0])))) < np.deg2rad(20)


def test_the_same_minutia_in_inverted_ink_is_the_other_kind() -> None:
    kinds = {
        extract_template(minutia(150, 150, ink_inverted=inverted)).kind[0]
        for inverted in (False, True)
    }
    assert kinds == {MinutiaKind.RIDGE_ENDING, MinutiaKind.BIFURCATION}


def test_a_ridge_dashed_by_a_dry_skin_gap_is_whole_again() -> None:
    gapped = cut_ridge(stripes(), 150, slice(148, 154))
    assert extract_template(gapped).count == 0


def test_a_sensor_edge_in_the_background_is_not_finger() -> None:
    # A print in the middle; the sensor's window edge (a dark line) and a smudge in the background.
    image = np.full((SIZE, SIZE), 220, np.uint8)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    inside = np.hypot(yy - 150, xx - 160) < 100
    image[inside] = minutia(160, 150)[inside]
    image[:, 12:15] = 40
    area = enhance(image).area.astype(bool)
    assert not area[:, 5:25].any()
    assert area[150, 160]
    template = extract_template(image)
    assert (template.x > 40).all()

"""Each NFIQ 2 feature on constructed images whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from ridge_prints import PrintSpec, ridge_print

from kitd.quality.finger import features
from kitd.quality.finger.blocks import block_means, slanted_blocks
from kitd.quality.finger.histogram import histogram_features
from kitd.quality.finger.image import trim_near_white
from kitd.quality.finger.ridge_structure import profile_spectra
from kitd.quality.finger.roi import region_of_interest

# Straight ridges filling the frame: the ideal print for every block measure.
STRAIGHT = PrintSpec(curvature=0.0, minutiae=(), finger=False)


@pytest.fixture(scope="module")
def straight() -> features.FeatureSet:
    return features.compute(ridge_print(STRAIGHT))


@pytest.fixture(scope="module")
def noise() -> features.FeatureSet:
    rng = np.random.default_rng(3)
    return features.compute(rng.integers(0, 256, (500, 400), dtype=np.uint8))


def test_feature_names_are_nfiq2_names_in_nfiq2_order(straight: features.FeatureSet) -> None:
    assert list(straight.features) == list(features.FEATURE_NAMES)
    assert len(features.FEATURE_NAMES) == 69
    assert features.FEATURE_NAMES[0] == "FDA_Bin10_0"
    assert features.FEATURE_NAMES[-1] == "RVUP_Bin10_StdDev"


def test_parallel_ridges_have_high_orientation_certainty(straight: features.FeatureSet) -> None:
    assert straight.features["OCL_Bin10_Mean"] > 0.9
    assert straight.features["OCL_Bin10_9"] > 0.8 * sum(
        straight.features[f"OCL_Bin10_{i}"] for i in range(10)
    )


def test_noise_has_low_orientation_certainty(noise: features.FeatureSet) -> None:
    assert noise.features["OCL_Bin10_Mean"] < 0.3


def test_straight_ridges_have_no_orientation_flow(straight: features.FeatureSet) -> None:
    # No block's angle differs from its neighbours' by more than 4 degrees: nothing is counted.
    assert sum(straight.features[f"OF_Bin10_{i}"] for i in range(10)) == 0
    assert straight.features["OF_Bin10_Mean"] == 0.0


def test_nine_pixel_ridges_peak_at_the_matching_frequency() -> None:
    image = ridge_print(STRAIGHT)
    spectra = profile_spectra(image, slanted_blocks(image))
    # A real profile's spectrum is symmetric: harmonic k and 32 - k are the same frequency.
    harmonics = np.minimum(np.argmax(spectra, axis=1) + 1, 31 - np.argmax(spectra, axis=1))
    # 32 px / 9 px = 3.6 periods per block: the peak is at harmonic 3 or 4, never elsewhere.
    assert set(harmonics.tolist()) <= {3, 4}
    assert np.mean(harmonics == 4) > 0.5


def test_sixteen_pixel_ridges_peak_at_harmonic_two() -> None:
    image = ridge_print(PrintSpec(period=16.0, curvature=0.0, minutiae=(), finger=False))
    peaks = np.argmax(profile_spectra(image, slanted_blocks(image)), axis=1)
    assert np.all(np.minimum(peaks + 1, 31 - peaks) == 2)


def test_clean_ridges_have_high_clarity_and_noise_has_none(
    straight: features.FeatureSet, noise: features.FeatureSet
) -> None:
    assert straight.features["LCS_Bin10_Mean"] > 0.8
    assert noise.features["LCS_Bin10_Mean"] < 0.3


def test_even_ridges_and_valleys_have_width_ratios_near_one(straight: features.FeatureSet) -> None:
    # 4.5 px ridges and valleys are cut into whole pixels (4 or 5): ratios of 0.8 to 1.25, about 1.
    assert straight.features["RVUP_Bin10_Mean"] == pytest.approx(1.0, abs=0.25)
    assert straight.features["RVUP_Bin10_8"] == straight.features["RVUP_Bin10_9"] == 0


def test_straight_ridges_are_coherent_everywhere(straight: features.FeatureSet) -> None:
    assert straight.features["OrientationMap_ROIFilter_CoherenceRel"] > 0.9


def test_grey_level_means_are_exact() -> None:
    image = np.full((100, 70), 10, dtype=np.uint8)
    image[:, 64:] = 200  # a partial 6-px column of tiles at the right edge
    assert features.compute(image).features["Mu"] == pytest.approx(image.mean())
    means = block_means(image)
    assert means.shape == (4, 3)
    assert means[0, 2] == pytest.approx(200.0)
    assert means[0, 0] == pytest.approx(10.0)


def test_region_of_interest_covers_the_finger_and_not_the_platen() -> None:
    image = ridge_print(PrintSpec())
    roi = region_of_interest(image)
    ellipse_area = np.pi * (0.42 * 400) * (0.45 * 500)
    assert roi.pixels == pytest.approx(ellipse_area, rel=0.1)
    assert not roi.mask[0, 0] and roi.mask[250, 200]
    assert 100 < roi.mean < 160


def test_near_white_margins_are_trimmed_exactly() -> None:
    image = ridge_print(STRAIGHT)[:300, :200]
    framed = np.pad(image, ((7, 11), (5, 3)), constant_values=255)
    trimmed = trim_near_white(framed)
    assert trimmed.pixels.shape == image.shape
    assert (trimmed.top, trimmed.left) == (7, 5)
    assert np.array_equal(trimmed.pixels, image)


def test_an_all_white_image_is_blank() -> None:
    assert trim_near_white(np.full((200, 200), 255, np.uint8)).blank


def test_histogram_boundaries_belong_to_the_upper_bin() -> None:
    values = np.array([0.337, 0.3369, 0.898, 0.95])
    result = histogram_features("OCL", values)
    assert result["OCL_Bin10_0"] == 1
    assert result["OCL_Bin10_1"] == 1
    assert result["OCL_Bin10_9"] == 2
    assert result["OCL_Bin10_Mean"] == pytest.approx(values.mean())
    assert result["OCL_Bin10_StdDev"] == pytest.approx(values.std())


def test_a_histogram_of_nothing_is_all_zero() -> None:
    result = histogram_features("FDA", np.zeros(0))
    assert set(result.values()) == {0.0}

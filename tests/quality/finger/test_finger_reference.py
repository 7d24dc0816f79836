"""Agreement with NIST NFIQ 2 v2.3 on the public reference data (../shared/data/fingerprints).

The block features are ports of published definitions and must match the reference closely; the
minutiae come from our own extractor and only need to rank like FingerJet FX's. The score checks use the
packaged model, which was trained on these folders: they guard the pipeline, while held-out agreement is
measured by the training script's cross-validation (docs/quality-finger.md).
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from kitd.quality.finger import Feedback, FingerQuality
from kitd.quality.finger.features import FEATURE_NAMES, compute

pytestmark = pytest.mark.reference


def _rows(folder: Path, limit: int | None = None) -> list[dict[str, str]]:
    with (folder / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows[:limit]


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), dtype=np.uint8)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    rank_a = np.argsort(np.argsort(a, kind="stable"), kind="stable")
    rank_b = np.argsort(np.argsort(b, kind="stable"), kind="stable")
    return float(np.corrcoef(rank_a, rank_b)[0, 1])


@pytest.fixture(scope="module")
def sfinge(shared_data: Path) -> list[tuple[dict[str, str], dict[str, float]]]:
    folder = shared_data / "fingerprints" / "nist-sfinge"
    return [(row, compute(_pixels(folder / row["file"])).features) for row in _rows(folder)]


@pytest.mark.parametrize("prefix", ["OCL", "OF"])
def test_orientation_histograms_match_nist_exactly(
    sfinge: list[tuple[dict[str, str], dict[str, float]]], prefix: str
) -> None:
    for row, ours in sfinge:
        for name in (n for n in FEATURE_NAMES if n.startswith(prefix + "_")):
            assert ours[name] == pytest.approx(float(row[name]), rel=1e-6, abs=1e-9), name


@pytest.mark.parametrize("name", ["Mu", "MMB", "OrientationMap_ROIFilter_CoherenceSum"])
def test_grey_level_and_coherence_features_match_nist(
    sfinge: list[tuple[dict[str, str], dict[str, float]]], name: str
) -> None:
    for row, ours in sfinge:
        assert ours[name] == pytest.approx(float(row[name]), rel=1e-3)


@pytest.mark.parametrize("prefix", ["FDA", "LCS", "RVUP"])
def test_ridge_structure_histograms_are_within_a_few_counts_of_nist(
    sfinge: list[tuple[dict[str, str], dict[str, float]]], prefix: str
) -> None:
    for row, ours in sfinge:
        # FDA and LCS count blocks; RVUP counts width ratios, several per block: 2 % of the total.
        total = sum(float(row[f"{prefix}_Bin10_{i}"]) for i in range(10))
        allowed = max(2.0, 0.02 * total)
        for i in range(10):
            name = f"{prefix}_Bin10_{i}"
            assert abs(ours[name] - float(row[name])) <= allowed, name
        mean = f"{prefix}_Bin10_Mean"
        assert ours[mean] == pytest.approx(float(row[mean]), abs=0.01)


def test_features_rank_like_nist_on_synthetic_prints(shared_data: Path) -> None:
    folder = shared_data / "fingerprints" / "synthetic"
    rows = _rows(folder, limit=60)
    ours = [compute(_pixels(folder / row["file"])).features for row in rows]
    for name in FEATURE_NAMES:
        reference = np.array([float(row[name]) for row in rows])
        if reference.std() == 0:
            continue
        rho = _spearman(np.array([o[name] for o in ours]), reference)
        floor = 0.6 if "FingerJet" in name or "FJFX" in name else 0.95
        assert rho >= floor, (name, rho)


_FVC_SETS = ("fvc2002_db1_b", "fvc2004_db2_b", "fvc2002_db3_b", "fvc2002_db4_b")
# NFIQ 2's summary values of the block features and the image: what the score model leans on most.
_SUMMARIES = tuple(
    name
    for name in FEATURE_NAMES
    if not name.startswith(("FingerJetFX_", "FJFXPos_")) and not name[-1].isdigit()
)


@pytest.fixture(scope="module")
def real_sensors(shared_data: Path) -> dict[str, list[tuple[dict[str, str], dict[str, float]]]]:
    """Every real sensor's first three fingers (24 impressions), with our features."""
    slices = {}
    for name in _FVC_SETS:
        folder = shared_data / "fingerprints" / "fvc" / name
        rows = _rows(folder, limit=24)
        slices[name] = [(row, compute(_pixels(folder / row["file"])).features) for row in rows]
    return slices


@pytest.mark.parametrize("name", _FVC_SETS)
def test_block_features_agree_with_nist_on_every_real_sensor(
    real_sensors: dict[str, list[tuple[dict[str, str], dict[str, float]]]], name: str
) -> None:
    # The sets differ in size (300 x 300 to 388 x 374), background and contrast; the block features
    # must not: orientation histograms exact, ridge-structure bins within a few blocks.
    for row, ours in real_sensors[name]:
        for prefix in ("OCL", "OF", "FDA", "LCS", "RVUP"):
            total = sum(float(row[f"{prefix}_Bin10_{i}"]) for i in range(10))
            allowed = 0.0 if prefix in ("OCL", "OF") else max(2.0, 0.02 * total)
            for i in range(10):
                bin_name = f"{prefix}_Bin10_{i}"
                assert abs(ours[bin_name] - float(row[bin_name])) <= allowed, (
                    row["file"],
                    bin_name,
                )
    for summary in _SUMMARIES:
        ours_values = np.array([ours[summary] for _, ours in real_sensors[name]])
        reference = np.array([float(row[summary]) for row, _ in real_sensors[name]])
        assert _spearman(ours_values, reference) >= 0.95, summary


def test_the_packaged_model_ranks_its_training_prints_like_nist(shared_data: Path) -> None:
    folder = shared_data / "fingerprints" / "synthetic"
    rows = _rows(folder, limit=60)
    quality = FingerQuality()
    ours = np.array([quality.assess(_pixels(folder / row["file"])).score for row in rows])
    reference = np.array([float(row["QualityScore"]) for row in rows])
    assert _spearman(ours, reference) >= 0.9
    assert np.abs(ours - reference).mean() <= 8


def test_nists_blank_frames_get_no_score_and_the_empty_feedback(shared_data: Path) -> None:
    quality = FingerQuality()
    for name in ("cmp00018.png", "cmp00019.png"):
        assessment = quality.assess(
            _pixels(shared_data / "fingerprints" / "nist" / "negative" / name)
        )
        assert assessment.score == 0
        assert Feedback.EMPTY in assessment.feedback


def _fvc(shared_data: Path, name: str) -> np.ndarray:
    return _pixels(shared_data / "fingerprints" / "fvc" / f"{name}.png")


# Impressions of the FVC sets that are plainly dry or wet to the eye (broken, faint ridges; ridges
# merged into dark patches), on both kinds of sensor: the capacitive sensor's background is mid-grey,
# so a dry print there is darker than a wet one on the optical sensors.
_DRY = ("fvc2002_db1_b/107_8", "fvc2004_db2_b/103_2", "fvc2002_db3_b/107_7", "fvc2002_db3_b/109_3")
_WET = (
    "fvc2002_db3_b/108_5",
    "fvc2002_db3_b/103_5",
    "fvc2002_db3_b/101_6",
    # Wet on an optical sensor: light overall, dark blotches beside faint ridges.
    "fvc2004_db2_b/102_8",
    "fvc2004_db2_b/109_8",
)
# Clear prints, light and dark: the last two are pressed hard (dark ridges, some merged), not wet.
_CLEAR = (
    "fvc2002_db1_b/103_1",
    "fvc2004_db2_b/103_3",
    "fvc2004_db2_b/110_2",
    "fvc2004_db2_b/104_3",
)


@pytest.mark.parametrize("name", _DRY)
def test_dry_real_impressions_are_reported_dry(shared_data: Path, name: str) -> None:
    feedback = FingerQuality().assess(_fvc(shared_data, name)).feedback
    assert Feedback.DRY in feedback
    assert Feedback.SMUDGED not in feedback and Feedback.TOO_DARK not in feedback


@pytest.mark.parametrize("name", _WET)
def test_wet_real_impressions_are_reported_smudged(shared_data: Path, name: str) -> None:
    feedback = FingerQuality().assess(_fvc(shared_data, name)).feedback
    assert Feedback.SMUDGED in feedback
    assert Feedback.DRY not in feedback


@pytest.mark.parametrize("name", _CLEAR)
def test_clear_real_impressions_get_no_skin_feedback(shared_data: Path, name: str) -> None:
    feedback = FingerQuality().assess(_fvc(shared_data, name)).feedback
    assert not {Feedback.DRY, Feedback.SMUDGED, Feedback.TOO_DARK} & set(feedback)


def _noised(image: np.ndarray, sigma: float) -> np.ndarray:
    noise = np.random.default_rng(1).normal(0.0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def test_blurred_and_noised_real_prints_score_lower(shared_data: Path) -> None:
    quality = FingerQuality()
    folder = shared_data / "fingerprints" / "fvc" / "fvc2002_db1_b"
    good = [row for row in _rows(folder) if float(row["QualityScore"]) >= 60][:6]
    assert len(good) == 6
    for row in good:
        pixels = _pixels(folder / row["file"])
        original = quality.assess(pixels).score
        blurred = quality.assess(cv2.GaussianBlur(pixels, (0, 0), 3.0)).score
        noised = quality.assess(_noised(pixels, 40.0)).score
        assert blurred < original and noised < original, (row["file"], original, blurred, noised)


def test_the_packaged_model_ranks_real_prints_like_nist(shared_data: Path) -> None:
    # The FVC sets are training data too: this guards the pipeline on real sensors' images (other
    # sizes than the kit's, other grey levels); held-out figures come from the training script.
    quality = FingerQuality()
    for name in ("fvc2002_db1_b", "fvc2002_db3_b"):
        folder = shared_data / "fingerprints" / "fvc" / name
        rows = _rows(folder, limit=40)
        ours = np.array([quality.assess(_pixels(folder / row["file"])).score for row in rows])
        reference = np.array([float(row["QualityScore"]) for row in rows])
        assert _spearman(ours, reference) >= 0.85, name
        assert np.abs(ours - reference).mean() <= 6, name

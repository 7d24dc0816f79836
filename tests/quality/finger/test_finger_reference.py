"""Agreement with NIST NFIQ 2 v2.3 on the public reference data (../shared/data/fingerprints).

The block features are ports of published definitions and must match the reference closely; the
minutiae come from our own extractor and only need to rank like FingerJet FX's. The score checks use the
packaged model, which was trained on these folders: they guard the pipeline, while held-out agreement is
measured by the training script's cross-validation (docs/quality-finger.md).
"""

from __future__ import annotations

import csv
from pathlib import Path

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

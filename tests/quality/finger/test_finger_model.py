"""The packaged model and its numpy evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from kitd.quality.finger.features import FEATURE_NAMES, FEEDBACK_VALUES
from kitd.quality.finger.live import LIVE_NAMES
from kitd.quality.finger.model import KernelPart, QualityModel, histogram_shares, load_model


def _stump(threshold: float) -> QualityModel:
    # One tree: node 0 tests input 1 against the threshold; leaves 1 (left) and 2 (right).
    return QualityModel(
        input_names=("a", "b"),
        feature=np.array([[1, 0, 0]], np.int32),
        threshold=np.array([[threshold, 0.0, 0.0]]),
        left=np.array([[1, 1, 2]], np.int32),
        right=np.array([[2, 1, 2]], np.int32),
        value=np.array([[0.0, -10.0, 30.0]]),
        base=50.0,
        learning_rate=0.5,
        depth=1,
        live_names=LIVE_NAMES,
        live_coefficients=np.array([1.0, 2.0, 0.0, 0.0, 0.0, 0.0]),
        description="test stump",
    )


def test_a_tree_sends_values_at_the_threshold_left() -> None:
    model = _stump(threshold=3.0)
    scores = model.predict(np.array([[0.0, 2.0], [0.0, 3.0], [0.0, 3.5]]))
    assert scores.tolist() == [45.0, 45.0, 65.0]


def test_leaves_stay_put_when_trees_are_shallower_than_the_walk() -> None:
    model = _stump(threshold=3.0)
    deeper = QualityModel(**{**model.__dict__, "depth": 4})
    assert deeper.predict(np.array([[0.0, 9.0]])).tolist() == [65.0]


def test_the_live_map_is_linear() -> None:
    assert _stump(0.0).predict_live(np.array([0.5, 0, 0, 0, 0])) == pytest.approx(2.0)


def test_histogram_counts_become_shares_and_chosen_totals_are_appended() -> None:
    inputs = np.array([[1.0, 3.0, 7.0, 2.0, 2.0], [0.0, 0.0, 5.0, 0.0, 0.0]])
    histograms = np.array([[0, 1], [3, 4]])
    shares = histogram_shares(inputs, histograms, totals=np.array([1]))
    # Counts of an empty histogram stay 0 rather than dividing by zero; other inputs pass through.
    assert shares.tolist() == [[0.25, 0.75, 7.0, 0.5, 0.5, 4.0], [0.0, 0.0, 5.0, 0.0, 0.0, 0.0]]


def _kernel(bias: float) -> KernelPart:
    # One support vector at the origin of the standardised input ("b" as a one-bin histogram's count).
    return KernelPart(
        support=np.array([[0.0, 0.0]]),
        coefficients=np.array([20.0]),
        bias=bias,
        gamma=1.0,
        centre=np.array([0.0, 0.0]),
        scale=np.array([1.0, 1.0]),
        histograms=np.array([[0]]),
        totals=np.array([], dtype=np.intp),
    )


def test_the_kernel_part_decays_away_from_its_support_vectors() -> None:
    kernel = _kernel(bias=30.0)
    near, far = kernel.predict(np.array([[0.0, 0.0], [0.0, 3.0]]))
    assert near == pytest.approx(50.0)
    assert far == pytest.approx(30.0 + 20.0 * np.exp(-9.0))


def test_the_blend_weighs_trees_and_kernel() -> None:
    blended = QualityModel(
        **{**_stump(3.0).__dict__, "kernel": _kernel(bias=0.0), "tree_weight": 0.75}
    )
    # Trees: 45; kernel at (0, 0): 20.
    assert blended.predict(np.array([[0.0, 0.0]])).tolist() == pytest.approx(
        [0.75 * 45 + 0.25 * 20]
    )
    assert blended.predict_trees(np.array([[0.0, 0.0]])).tolist() == [45.0]


def test_the_packaged_model_reads_only_known_inputs() -> None:
    model = load_model()
    assert set(model.input_names) <= set(FEATURE_NAMES) | set(FEEDBACK_VALUES)
    assert model.live_names == LIVE_NAMES
    assert model.feature.max() < len(model.input_names)
    assert model.description
    assert model.kernel is not None
    assert model.kernel.support.shape[1] == len(model.kernel.centre) == len(model.kernel.scale)
    assert model.kernel.histograms.max() < len(model.input_names)
    assert 0.0 < model.tree_weight < 1.0

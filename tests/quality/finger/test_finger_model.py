"""The packaged model and its numpy evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from kitd.quality.finger.features import FEATURE_NAMES, FEEDBACK_VALUES
from kitd.quality.finger.live import LIVE_NAMES
from kitd.quality.finger.model import QualityModel, load_model


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


def test_the_packaged_model_reads_only_known_inputs() -> None:
    model = load_model()
    assert set(model.input_names) <= set(FEATURE_NAMES) | set(FEEDBACK_VALUES)
    assert model.live_names == LIVE_NAMES
    assert model.feature.max() < len(model.input_names)
    assert model.description

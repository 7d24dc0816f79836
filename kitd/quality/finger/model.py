"""The 0-100 finger quality model: a gradient-boosted tree ensemble, blended with a kernel regression
(RBF support vectors), both evaluated in numpy.

The parameters are package data (`model.npz`), produced by `scripts/train-finger-quality` from our own
features of the labelled fingerprint sets (NFIQ 2 v2.3 scores as targets); docs/quality-finger.md says
how and with what held-out agreement. Each tree is stored as flat node arrays; a leaf points to itself,
so every sample can walk every tree for the same number of steps, all at once. The kernel part is a
support-vector regression on standardised inputs whose histograms are shares rather than counts (so
prints of every size meet); smoother than the trees, it ranks real-sensor prints better, and the blend
of the two agrees better with NFIQ 2 held out than either alone (docs/quality-finger.md).

It also holds the coefficients of the live estimate (a linear map of a few cheap preview measures). This
module only reads its own package data; it never loads pickles and never needs an ML runtime.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import NDArray

MODEL_RESOURCE = "model.npz"


def histogram_shares(
    inputs: NDArray[np.float64], histograms: NDArray[np.intp], totals: NDArray[np.intp]
) -> NDArray[np.float64]:
    """The inputs with each histogram's bin counts (`histograms`: one row of input indices per
    histogram) turned into shares of their sum, then the sums of the histograms listed in `totals`
    appended as columns. Counts grow with the image's size; shares let prints of every size meet.
    """
    shares = np.array(inputs, dtype=np.float64)
    sums = inputs[:, histograms].sum(axis=2)  # (samples, histograms)
    shares[:, histograms] = inputs[:, histograms] / np.maximum(sums, 1.0)[:, :, None]
    return np.hstack([shares, sums[:, totals]])


@dataclass(frozen=True)
class KernelPart:
    """An RBF support-vector regression: bias + sum_i coef_i exp(-gamma |z - support_i|^2), where z
    is the input after `histogram_shares`, standardised by `centre` and `scale`.
    """

    support: NDArray[np.float64]  # (vectors, transformed inputs), standardised
    coefficients: NDArray[np.float64]  # (vectors,)
    bias: float
    gamma: float
    centre: NDArray[np.float64]  # (transformed inputs,)
    scale: NDArray[np.float64]
    histograms: NDArray[np.intp]  # (histograms, bins): input indices of each histogram's bins
    totals: NDArray[np.intp]  # histograms whose block count is an input of its own

    def predict(self, inputs: NDArray[np.float64]) -> NDArray[np.float64]:
        z = (histogram_shares(inputs, self.histograms, self.totals) - self.centre) / self.scale
        squared = (
            (z * z).sum(axis=1)[:, None]
            - 2.0 * z @ self.support.T
            + (self.support * self.support).sum(axis=1)[None, :]
        )
        kernel = np.exp(-self.gamma * np.maximum(squared, 0.0))
        return np.asarray(self.bias + kernel @ self.coefficients, dtype=np.float64)


@dataclass(frozen=True)
class QualityModel:
    """The trained model that maps NFIQ 2 features to a 0-100 score."""

    input_names: tuple[str, ...]
    feature: NDArray[np.int32]  # (trees, nodes): input index tested at each node (0 at leaves)
    threshold: NDArray[np.float64]  # (trees, nodes): go left when input <= threshold
    left: NDArray[np.int32]  # (trees, nodes): child indices; a leaf points to itself
    right: NDArray[np.int32]
    value: NDArray[np.float64]  # (trees, nodes): leaf contribution
    base: float  # prediction before any tree
    learning_rate: float
    depth: int  # longest root-to-leaf path
    live_names: tuple[str, ...]
    live_coefficients: NDArray[np.float64]  # intercept first, then one per live measure
    description: str
    # Names of the labelled folders the model was fitted on (their scores are training-set figures).
    training_sets: tuple[str, ...] = ()
    # The kernel regression and the trees' weight in the blend (1.0: trees only).
    kernel: KernelPart | None = None
    tree_weight: float = 1.0

    def predict(self, inputs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Raw (unclipped) scores for a (samples, inputs) matrix in `input_names` order."""
        trees = self.predict_trees(inputs)
        if self.kernel is None:
            return trees
        kernel = self.kernel.predict(inputs)
        return np.asarray(
            self.tree_weight * trees + (1.0 - self.tree_weight) * kernel, dtype=np.float64
        )

    def predict_trees(self, inputs: NDArray[np.float64]) -> NDArray[np.float64]:
        """The tree ensemble's part alone."""
        samples = inputs.shape[0]
        trees = self.feature.shape[0]
        tree_index = np.arange(trees)[None, :]
        node = np.zeros((samples, trees), dtype=np.int32)
        rows = np.arange(samples)[:, None]
        for _ in range(self.depth):
            tested = inputs[rows, self.feature[tree_index, node]]
            go_left = tested <= self.threshold[tree_index, node]
            node = np.where(go_left, self.left[tree_index, node], self.right[tree_index, node])
        contributions = self.value[tree_index, node].sum(axis=1)
        return np.asarray(self.base + self.learning_rate * contributions, dtype=np.float64)

    def predict_live(self, measures: NDArray[np.float64]) -> float:
        return float(self.live_coefficients[0] + measures @ self.live_coefficients[1:])


def load_model(data: bytes | None = None) -> QualityModel:
    """The packaged model, or one from `data` (the bytes of a model.npz, as the training script writes)."""
    if data is None:
        data = resources.files("kitd.quality.finger").joinpath(MODEL_RESOURCE).read_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        kernel = (
            KernelPart(
                support=archive["kernel_support"].astype(np.float64),
                coefficients=archive["kernel_coefficients"].astype(np.float64),
                bias=float(archive["kernel_bias"]),
                gamma=float(archive["kernel_gamma"]),
                centre=archive["kernel_centre"].astype(np.float64),
                scale=archive["kernel_scale"].astype(np.float64),
                histograms=archive["kernel_histograms"].astype(np.intp),
                totals=archive["kernel_totals"].astype(np.intp),
            )
            if "kernel_support" in archive
            else None
        )
        return QualityModel(
            input_names=tuple(str(name) for name in archive["input_names"]),
            feature=archive["feature"].astype(np.int32),
            threshold=archive["threshold"].astype(np.float64),
            left=archive["left"].astype(np.int32),
            right=archive["right"].astype(np.int32),
            value=archive["value"].astype(np.float64),
            base=float(archive["base"]),
            learning_rate=float(archive["learning_rate"]),
            depth=int(archive["depth"]),
            live_names=tuple(str(name) for name in archive["live_names"]),
            live_coefficients=archive["live_coefficients"].astype(np.float64),
            description=str(archive["description"]),
            training_sets=tuple(str(name) for name in archive.get("training_sets", ())),
            kernel=kernel,
            tree_weight=float(archive["tree_weight"]) if "tree_weight" in archive else 1.0,
        )

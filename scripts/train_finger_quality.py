"""`./scripts/train-finger-quality`: trains the finger quality model (kitd/quality/finger/model.npz) on labelled fingerprint folders.

    .venv/bin/python scripts/train-finger-quality [--out PATH] [--folds 5] [FOLDER...]

Each FOLDER holds images and a labels.csv with NFIQ 2 v2.3 scores (`QualityScore`); the default folders
are the labelled sets of ../shared/data/fingerprints: synthetic, NIST and the four FVC "B" sets. Our own
features are computed for every image (the daemon's code); a gradient-boosted tree ensemble and an RBF
support-vector regression (scikit-learn, a development tool only) are fitted to the scores and blended
half and half, and both are written as plain arrays that kitd evaluates with numpy.

Before the final fit, k-fold cross-validation prints held-out agreement per folder, for the blend and for
each part alone: every impression of a finger (files `<finger>_<impression>.png`, as in the FVC sets) stays
in one fold, so no finger is scored by a model that saw another impression of it; near-duplicate NIST
captures stay together too. Then each FVC-style folder is scored by a model fitted without the whole folder
(leave one set out: a sensor never seen). The live estimate's linear coefficients are fitted on the
250 ppi previews of the same images.

With --native all (or --native minutiae), the same cross-validation runs with NIST's own values of every
feature (or of the four minutiae features only) from labels.csv in place of ours, and no model is
written: it says how far better features alone could take the model (docs/quality-finger.md).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy.stats import pearsonr, spearmanr
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

from kitd.quality.finger.features import FEATURE_NAMES, compute
from kitd.quality.finger.image import validate
from kitd.quality.finger.live import LIVE_NAMES, live_measures
from kitd.quality.finger.model import histogram_shares, load_model

REPO = Path(__file__).resolve().parent.parent

DEFAULT_FOLDERS = [
    "synthetic",
    "nist",
    "nist-sfinge",
    "fvc/fvc2002_db1_b",
    "fvc/fvc2004_db2_b",
    "fvc/fvc2002_db3_b",
    "fvc/fvc2002_db4_b",
]
# The model sees the NFIQ 2 features plus the foreground size, which NFIQ 2 reports as feedback.
INPUT_NAMES = (*FEATURE_NAMES, "SufficientFingerprintForeground")
PARAMS = {
    "n_estimators": 400,
    "max_depth": 3,
    "learning_rate": 0.04,
    "subsample": 0.8,
    "min_samples_leaf": 4,
    "loss": "huber",
    "random_state": 5,
}
# The kernel part: RBF support-vector regression on standardised inputs, histograms as shares plus the
# block counts of the FDA, OCL and OF histograms. Chosen by the cross-validation below (C 10-50,
# gamma 0.008-0.03 and epsilon 1-3 land within noise of each other).
KERNEL = {"C": 20.0, "epsilon": 1.0, "gamma": 0.015}
HISTOGRAMS = ("FDA", "LCS", "OCL", "OF", "RVUP")
TOTALS = ("FDA", "OCL", "OF")
TREE_WEIGHT = 0.5
HISTOGRAM_INDEX = np.array(
    [[INPUT_NAMES.index(f"{prefix}_Bin10_{i}") for i in range(10)] for prefix in HISTOGRAMS]
)
TOTAL_INDEX = np.array([HISTOGRAMS.index(prefix) for prefix in TOTALS])
# The features NFIQ 2 takes from FingerJet FX's minutiae, where ours come from our own extractor.
MINUTIAE_NAMES = tuple(
    name for name in INPUT_NAMES if name.startswith(("FingerJetFX_", "FJFXPos_"))
)


def finger_of(name: str) -> int | None:
    """The finger of an impression file `<finger>_<impression>.png` (the FVC naming), else None."""
    finger, _, rest = Path(name).stem.partition("_")
    return int(finger) if finger.isdigit() and rest.isdigit() else None


def group_of(folder: Path, name: str) -> str:
    # All impressions of a finger are one group; the sample_* NIST images are renditions of one
    # capture, one group too: never split across folds.
    finger = finger_of(name)
    if finger is not None:
        return f"{folder.name}/finger{finger}"
    return f"{folder.name}/sample" if name.startswith("sample_") else f"{folder.name}/{name}"


def fold_numbers(groups: list[str], folds: int) -> np.ndarray:
    """A fold per image: fingers by their number modulo `folds`, so each fold holds out a share of
    every impression set's fingers; other groups shuffled into folds."""
    numbers = np.zeros(len(groups), dtype=int)
    others = [i for i, group in enumerate(groups) if "/finger" not in group]
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=11)
    dummy = np.zeros(len(others))
    for k, (_, test) in enumerate(splitter.split(dummy, dummy, [groups[i] for i in others])):
        numbers[np.array(others)[test]] = k
    for i, group in enumerate(groups):
        if "/finger" in group:
            numbers[i] = int(group.rpartition("/finger")[2]) % folds
    return numbers


def load(
    folders: list[Path], native: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], list[str]]:
    """Inputs (ours, or with `native` "all"/"minutiae" NIST's values from labels.csv in their place),
    live measures, NFIQ 2 scores, fold groups and names of every labelled image."""
    replaced = {"all": INPUT_NAMES, "minutiae": MINUTIAE_NAMES, None: ()}[native]
    inputs, live, targets, groups, names = [], [], [], [], []
    for folder in folders:
        with (folder / "labels.csv").open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            pixels = np.asarray(Image.open(folder / row["file"]).convert("L"), dtype=np.uint8)
            found = compute(validate(pixels, 500))
            merged = {**found.features, **found.feedback_values}
            merged.update({name: float(row[name]) for name in replaced})
            inputs.append([merged[name] for name in INPUT_NAMES])
            live.append(live_measures(pixels, 500))
            targets.append(float(row["QualityScore"]))
            groups.append(group_of(folder, row["file"]))
            names.append(f"{folder.name}/{row['file']}")
    return np.array(inputs), np.array(live), np.array(targets), groups, names


def agreement(predicted: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    scores = np.clip(np.rint(predicted), 0, 100)
    return {
        "spearman": float(spearmanr(scores, reference).statistic),
        "pearson": float(pearsonr(scores, reference).statistic),
        "mae": float(np.abs(scores - reference).mean()),
        "within10": float((np.abs(scores - reference) <= 10).mean()),
    }


def export_trees(model: GradientBoostingRegressor) -> dict[str, np.ndarray]:
    trees = [estimator[0].tree_ for estimator in model.estimators_]
    nodes = max(tree.node_count for tree in trees)
    shape = (len(trees), nodes)
    feature = np.zeros(shape, np.int32)
    threshold = np.zeros(shape, np.float64)
    left = np.tile(np.arange(nodes, dtype=np.int32), (len(trees), 1))
    right = left.copy()
    value = np.zeros(shape, np.float64)
    depth = 0
    for t, tree in enumerate(trees):
        count = tree.node_count
        internal = tree.children_left[:count] >= 0
        feature[t, :count] = np.where(internal, tree.feature[:count], 0)
        threshold[t, :count] = np.where(internal, tree.threshold[:count], 0.0)
        left[t, :count] = np.where(internal, tree.children_left[:count], np.arange(count))
        right[t, :count] = np.where(internal, tree.children_right[:count], np.arange(count))
        value[t, :count] = tree.value[:count, 0, 0]
        depth = max(depth, tree.max_depth)
    return {
        "feature": feature,
        "threshold": threshold,
        "left": left,
        "right": right,
        "value": value,
        "depth": np.array(depth),
    }


class Blend:
    """The score model as it is fitted: trees and kernel regression, blended."""

    def __init__(self) -> None:
        self.trees = GradientBoostingRegressor(**PARAMS)
        self.scaler = StandardScaler()
        self.kernel = SVR(kernel="rbf", **KERNEL)

    def fit(self, inputs: np.ndarray, targets: np.ndarray) -> Blend:
        self.trees.fit(inputs, targets)
        self.kernel.fit(self.scaler.fit_transform(kernel_inputs(inputs)), targets)
        return self

    def parts(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        trees = self.trees.predict(inputs)
        kernel = self.kernel.predict(self.scaler.transform(kernel_inputs(inputs)))
        return trees, kernel

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        trees, kernel = self.parts(inputs)
        return TREE_WEIGHT * trees + (1.0 - TREE_WEIGHT) * kernel


def kernel_inputs(inputs: np.ndarray) -> np.ndarray:
    return histogram_shares(inputs, HISTOGRAM_INDEX, TOTAL_INDEX)


def cross_validate(
    inputs: np.ndarray, live: np.ndarray, targets: np.ndarray, groups: list[str], folds: int
) -> dict[str, np.ndarray]:
    """Held-out predictions of the blend, of each of its parts and of the live map, each image
    predicted by a model that never saw it, nor another impression of its finger."""
    held_out = {name: np.zeros_like(targets) for name in ("blend", "trees", "kernel", "live")}
    numbers = fold_numbers(groups, folds)
    for k in range(folds):
        train, test = numbers != k, numbers == k
        model = Blend().fit(inputs[train], targets[train])
        trees, kernel = model.parts(inputs[test])
        held_out["trees"][test], held_out["kernel"][test] = trees, kernel
        held_out["blend"][test] = TREE_WEIGHT * trees + (1.0 - TREE_WEIGHT) * kernel
        design = np.column_stack([np.ones(int(train.sum())), live[train]])
        coefficients, *_ = np.linalg.lstsq(design, targets[train], rcond=None)
        held_out["live"][test] = (
            np.column_stack([np.ones(int(test.sum())), live[test]]) @ coefficients
        )
    return held_out


def leave_set_out(
    inputs: np.ndarray, targets: np.ndarray, names: list[str], folders: list[Path]
) -> dict[str, np.ndarray]:
    """For each folder of finger impressions, its scores from a blend fitted without that folder."""
    held_out = {}
    for folder in folders:
        chosen = np.array([n.startswith(folder.name + "/") for n in names])
        if not chosen.any() or finger_of(names[int(np.argmax(chosen))]) is None:
            continue
        model = Blend().fit(inputs[~chosen], targets[~chosen])
        held_out[folder.name] = model.predict(inputs[chosen])
    return held_out


def export_kernel(model: Blend) -> dict[str, np.ndarray]:
    return {
        "kernel_support": model.kernel.support_vectors_,
        "kernel_coefficients": model.kernel.dual_coef_[0],
        "kernel_bias": np.array(float(model.kernel.intercept_[0])),
        "kernel_gamma": np.array(KERNEL["gamma"]),
        "kernel_centre": model.scaler.mean_,
        "kernel_scale": model.scaler.scale_,
        "kernel_histograms": HISTOGRAM_INDEX,
        "kernel_totals": TOTAL_INDEX,
        "tree_weight": np.array(TREE_WEIGHT),
    }


def print_agreement(label: str, predicted: np.ndarray, targets: np.ndarray) -> None:
    if len(targets) < 3:
        return
    figures = agreement(predicted, targets)
    print(
        f"{label:34s} n={len(targets):4d} " + " ".join(f"{k}={v:.3f}" for k, v in figures.items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument(
        "--out", type=Path, default=REPO / "kitd" / "quality" / "finger" / "model.npz"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--native",
        choices=("all", "minutiae"),
        help="cross-validate with NIST's own values of these features instead of ours; writes no model",
    )
    args = parser.parse_args()
    shared = REPO.parent / "shared" / "data" / "fingerprints"
    folders = args.folders or [shared / name for name in DEFAULT_FOLDERS]

    start = time.perf_counter()
    inputs, live, targets, groups, names = load(folders, args.native)
    print(f"features of {len(targets)} images in {time.perf_counter() - start:.1f} s")

    held_out = cross_validate(inputs, live, targets, groups, args.folds)
    for part in ("blend", "trees", "kernel"):
        for label, folder in [("all", None), *[(f.name, f.name) for f in folders]]:
            chosen = np.array([folder is None or n.startswith(folder + "/") for n in names])
            print_agreement(f"held-out {part:6s} {label}", held_out[part][chosen], targets[chosen])
    print_agreement("held-out live estimate, all", held_out["live"], targets)
    for folder_name, predicted in leave_set_out(inputs, targets, names, folders).items():
        chosen = np.array([n.startswith(folder_name + "/") for n in names])
        print_agreement(f"set left out    {folder_name}", predicted, targets[chosen])
    if args.native:
        print(f"inputs: NIST's own values of {args.native} features; no model written")
        return 0

    model = Blend().fit(inputs, targets)
    design = np.column_stack([np.ones(len(targets)), live])
    live_coefficients, *_ = np.linalg.lstsq(design, targets, rcond=None)
    description = (
        f"Gradient-boosted trees ({PARAMS['n_estimators']} trees, depth {PARAMS['max_depth']}, "
        f"Huber loss) blended {TREE_WEIGHT:g}/{1 - TREE_WEIGHT:g} with an RBF support-vector "
        f"regression ({len(model.kernel.support_)} support vectors), fitted by "
        f"scripts/train-finger-quality to NFIQ 2 v2.3 scores of {len(targets)} labelled images "
        f"({', '.join(f.name for f in folders)}), inputs: kitd's own NFIQ 2 features."
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Any: numpy's stub would match a dict of arrays to savez's allow_pickle flag too.
    arrays: dict[str, Any] = {
        "input_names": np.array(INPUT_NAMES),
        "base": np.array(float(model.trees.init_.constant_[0][0])),
        "learning_rate": np.array(PARAMS["learning_rate"]),
        "live_names": np.array(LIVE_NAMES),
        "live_coefficients": live_coefficients,
        "description": np.array(description),
        "training_sets": np.array([folder.name for folder in folders]),
        **export_trees(model.trees),
        **export_kernel(model),
    }
    with args.out.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    # The numpy evaluation must reproduce scikit-learn's predictions exactly, or the export is wrong.
    exported = load_model(args.out.read_bytes())
    difference = np.abs(exported.predict(inputs) - model.predict(inputs)).max()
    if difference > 1e-6:
        print(f"exported model disagrees with the fitted one by {difference}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes); numpy and scikit-learn agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())

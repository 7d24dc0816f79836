"""Honest calibration of the face checks: thresholds set on some people, measured on others.

The portraits are grouped by subject and split into k folds (no person in two folds). For each fold, the
limits that have no number in the standards (CALIBRATED) are set on the other folds' portraits: the
limit with the largest share of degraded copies caught minus unmodified portraits failed (Youden's J)
among those that keep false alarms on the unmodified portraits at FALSE_ALARM_BUDGET or below, counting
only the copies that the limits set before it for the same degradation let through (CALIBRATED's order:
the mean and the spread of the light before the crushed share). The held-out fold then gives the
figures: detection per
degradation (only portraits whose original passed the catching checks count) and false alarms per check
on the unmodified portraits. Limits that stand for a number in ICAO 9303 / ISO/IEC 39794-5 / BSI
TR-03121 (pose, size, position) are never moved by the data.

This is evaluation code for scripts/eval-face and the reference tests: the assessment must never import
it, and it must never write images anywhere. Native values are measured once per image; judging them
against each fold's limits is cheap.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.face.assessment import FaceAssessment, FaceAssessor
from kitd.quality.face.degradations import SUITE, Degradation
from kitd.quality.face.judgement import judge, judge_sharpness
from kitd.quality.face.thresholds import FaceThresholds, Limits
from kitd.quality.face.vocabulary import FaceCheck

# At most this share of the calibration folds' unmodified portraits may fail a calibrated limit (the
# goal is 10 % on the held-out fold; the margin is for the fold-to-fold spread).
FALSE_ALARM_BUDGET = 0.07
# The name of the sharpness check's motion-smear limit in FaceThresholds (a limit, not a check id).
MOTION = "sharpness_motion"


@dataclass(frozen=True)
class CalibratedLimit:
    """A face threshold set from data: its field, which end, and what it must catch."""

    # A FaceThresholds field name and which end of its range the data sets.
    name: str
    end: str  # "min" or "max"
    # The degradations this end must catch.
    degradations: tuple[str, ...]


CALIBRATED: tuple[CalibratedLimit, ...] = (
    CalibratedLimit("luminance", "min", ("under-exposed",)),
    CalibratedLimit("luminance", "max", ("over-exposed",)),
    CalibratedLimit("dynamic_range", "min", ("under-exposed",)),
    CalibratedLimit("under_exposure", "max", ("under-exposed",)),
    CalibratedLimit("sharpness", "min", ("blurred",)),
    CalibratedLimit(MOTION, "max", ("horizontal motion blur", "vertical motion blur")),
    CalibratedLimit("compression", "max", ("JPEG quality 5",)),
    CalibratedLimit("illumination_uniformity", "min", ("uneven light",)),
    CalibratedLimit("natural_colour", "max", ("blue-green cast", "red cast", "yellow cast")),
    CalibratedLimit("background_uniformity", "max", ("busy background",)),
    CalibratedLimit("eyes_visible", "min", ("eyes covered",)),
)

# Checks that a degradation exercises but whose limit keeps a design value: one person's photos would
# decide a limit set on the visible portraits (docs/quality-face.md). Their false alarms are reported
# beside the calibrated checks'.
DESIGN_VALUES: tuple[FaceCheck, ...] = (FaceCheck.OVER_EXPOSURE,)


def judged_by_data() -> tuple[FaceCheck, ...]:
    """The checks whose false alarms on unmodified portraits are held to the 10 % goal: the calibrated
    ones and DESIGN_VALUES, in vocabulary order.
    """
    calibrated_checks = {_check_of(limit) for limit in CALIBRATED} | set(DESIGN_VALUES)
    return tuple(check for check in FaceCheck if check in calibrated_checks)


@dataclass(frozen=True)
class Measured:
    """The native values of one image: every check's, plus the two blur measures under their limit names."""

    values: dict[str, float]

    @classmethod
    def of(cls, assessment: FaceAssessment) -> Measured:
        values = {c.id: c.value for c in assessment.checks}
        blur = assessment.blur
        values["sharpness"] = math.nan if blur is None else blur.focus
        values[MOTION] = math.nan if blur is None else blur.motion
        return cls(values)

    def failed(self, check: FaceCheck, thresholds: FaceThresholds) -> bool:
        if check is FaceCheck.SHARPNESS:
            result = judge_sharpness(
                self.values["sharpness"],
                self.values[MOTION],
                thresholds.sharpness,
                thresholds.motion,
            )
        else:
            result = judge(check, self.values[check.value], thresholds.limits(check))
        return not result.passed


@dataclass(frozen=True)
class Portrait:
    """A calibration portrait's measured values, unmodified and under each degradation."""

    name: str
    subject: str
    original: Measured
    # Degradation name -> the degraded copy's values.
    degraded: dict[str, Measured]
    # The image's width and height in pixels (0, 0 when unknown).
    size: tuple[int, int] = (0, 0)


def subject_of(name: str) -> str:
    """The person in a MEDS-style file name (S001-02-t10_01.jpg, meds-aa-S001-01-...): 'S001'."""
    found = re.search(r"S\d+", name)
    return found.group(0) if found else name


def measure_folder(
    folder: Path, assessor: FaceAssessor, suite: Sequence[Degradation] = SUITE
) -> list[Portrait]:
    """Every readable portrait in `folder` with exactly one face and a mesh, measured with its
    degraded copies.
    """
    portraits = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
            continue
        image = cv2.imread(str(path))
        if image is None:
            continue
        original = assessor.assess(np.asarray(image, dtype=np.uint8))
        if original.face_count != 1 or original.landmarks is None:
            continue
        degraded = {
            d.name: Measured.of(assessor.assess(d.apply(np.asarray(image, np.uint8), original)))
            for d in suite
        }
        portraits.append(
            Portrait(
                path.name,
                subject_of(path.name),
                Measured.of(original),
                degraded,
                (int(image.shape[1]), int(image.shape[0])),
            )
        )
    return portraits


def folds_by_subject(portraits: Sequence[Portrait], k: int) -> list[list[Portrait]]:
    """`k` folds of the portraits, every subject in exactly one (subjects dealt round-robin in sorted
    order).
    """
    subjects = sorted({p.subject for p in portraits})
    fold_of = {s: i % k for i, s in enumerate(subjects)}
    return [[p for p in portraits if fold_of[p.subject] == i] for i in range(k)]


# Image heights (px) that bound the size classes, and |yaw| (degrees) that bounds the pose classes. The
# visible MEDS half is mostly 480 and 600 px high; the held-back half has other sizes.
SIZE_CLASSES = (400, 500, 700)
POSE_CLASSES = (5.0, 10.0)


def _class_names(bounds: Sequence[float], unit: str) -> list[str]:
    """Names of the classes that `bounds` cut a line into: "≤ 400 px", "400–500 px", "> 700 px"."""
    edges = [f"{b:g}" for b in bounds]
    inner = [f"{low}–{high} {unit}" for low, high in itertools.pairwise(edges)]
    return [f"≤ {edges[0]} {unit}", *inner, f"> {edges[-1]} {unit}"]


def _grouped(
    portraits: Sequence[Portrait], values: Sequence[float], bounds: Sequence[float], unit: str
) -> Folds:
    """The portraits in one fold per class of `values` (one value per portrait); empty classes left out."""
    names = _class_names(bounds, unit)
    classes = np.searchsorted(np.asarray(bounds, dtype=np.float64), values, side="left")
    groups = [
        (name, [p for p, c in zip(portraits, classes, strict=True) if c == i])
        for i, name in enumerate(names)
    ]
    kept = [(name, fold) for name, fold in groups if fold]
    return Folds(tuple(name for name, _ in kept), tuple(fold for _, fold in kept))


def folds_by_size(portraits: Sequence[Portrait]) -> Folds:
    """One fold per image size class (the image's height, SIZE_CLASSES), smallest first."""
    return _grouped(portraits, [p.size[1] for p in portraits], SIZE_CLASSES, "px")


def folds_by_pose(portraits: Sequence[Portrait]) -> Folds:
    """One fold per head-turn class (|yaw| of the unmodified portrait, POSE_CLASSES), frontal first."""
    turns = [abs(p.original.values[FaceCheck.YAW.value]) for p in portraits]
    return _grouped(portraits, turns, POSE_CLASSES, "°")


@dataclass(frozen=True)
class Folds:
    """A split of the portraits into held-out folds, each with a name."""

    names: tuple[str, ...]
    folds: tuple[list[Portrait], ...]

    @classmethod
    def by_subject(cls, portraits: Sequence[Portrait], k: int) -> Folds:
        folds = folds_by_subject(portraits, k)
        return cls(tuple(f"persons {i + 1}/{k}" for i in range(k)), tuple(folds))


def _with_end(thresholds: FaceThresholds, limit: CalibratedLimit, value: float) -> FaceThresholds:
    current: Limits = getattr(thresholds, limit.name)
    changed = replace(current, **{limit.end: value})
    return replace(thresholds, **{limit.name: changed})


def _check_of(limit: CalibratedLimit) -> FaceCheck:
    return FaceCheck.SHARPNESS if limit.name == MOTION else FaceCheck(limit.name)


def _values(measures: Iterable[Measured], name: str) -> NDArray[np.float64]:
    return np.array([m.values[name] for m in measures], dtype=np.float64)


def calibrate_end(
    limit: CalibratedLimit,
    portraits: Sequence[Portrait],
    budget: float = FALSE_ALARM_BUDGET,
    already_caught: Callable[[Measured], bool] | None = None,
) -> float:
    """The limit's end with the best caught - false-alarm share, at most `budget` false alarms.

    Candidates lie midway between neighbouring observed values; among equally good ones the middle one is
    kept, as far from the unmodified portraits as from the degraded copies. Degraded copies whose value
    could not be measured are caught at any limit and do not steer the choice, nor do those that
    `already_caught` says another check catches. With no copy left to catch there is nothing to set the
    limit on: NaN, and the limit keeps its value.
    """
    clean = _values((p.original for p in portraits), limit.name)
    clean = clean[np.isfinite(clean)]
    copies = (p.degraded[name] for p in portraits for name in limit.degradations)
    bad = _values(
        (m for m in copies if already_caught is None or not already_caught(m)), limit.name
    )
    bad = bad[np.isfinite(bad)]
    if not bad.size:
        return math.nan
    every = np.unique(np.concatenate([clean, bad]))
    candidates = (every[:-1] + every[1:]) / 2.0 if every.size > 1 else every
    scored = []
    for t in candidates:
        below = limit.end == "min"
        alarms = float((clean < t).mean() if below else (clean > t).mean()) if clean.size else 0.0
        caught = float((bad < t).mean() if below else (bad > t).mean()) if bad.size else 0.0
        if alarms <= budget:
            scored.append((round(caught - alarms, 9), float(t)))
    if not scored:
        return math.nan
    best = max(score for score, _ in scored)
    tied = sorted(t for score, t in scored if score == best)
    return float(np.median(tied))


def _fails_any(checks: Sequence[FaceCheck], thresholds: FaceThresholds, measured: Measured) -> bool:
    return any(measured.failed(check, thresholds) for check in checks)


def calibrated(portraits: Sequence[Portrait], base: FaceThresholds | None = None) -> FaceThresholds:
    """`base` (the defaults) with every CALIBRATED end set on `portraits`."""
    thresholds = base or FaceThresholds()
    for i, limit in enumerate(CALIBRATED):
        # A check with both ends calibrated shares its budget between them.
        ends = sum(other.name == limit.name for other in CALIBRATED)
        # A degradation is caught when any of its checks fails: a limit is set on the copies that the
        # limits set before it for the same degradation let through, so it does not spend false alarms
        # on copies already caught (gain-0.25 copies of light skin are dim, not crushed: luminance or
        # dynamic_range catches them; under_exposure need not, at the cost of dark-skinned faces).
        earlier = tuple(
            _check_of(other)
            for other in CALIBRATED[:i]
            if other.name != limit.name and set(other.degradations) & set(limit.degradations)
        )
        value = calibrate_end(
            limit, portraits, FALSE_ALARM_BUDGET / ends, partial(_fails_any, earlier, thresholds)
        )
        if not math.isnan(value):
            thresholds = _with_end(thresholds, limit, round(value, 4))
    return thresholds


@dataclass
class Tally:
    """Hits out of a total."""

    hits: int = 0
    total: int = 0

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else math.nan


@dataclass
class CrossValidation:
    """Held-out detection and false-alarm rates of the calibrated face limits, over k folds."""

    k: int
    # Degradation name -> caught / eligible over the held-out folds.
    detection: dict[str, Tally] = field(default_factory=dict)
    # Check id -> unmodified portraits failing it / all, over the held-out folds.
    false_alarms: dict[str, Tally] = field(default_factory=dict)
    # Check id -> the unmodified portraits (file names) that failed it on their held-out fold.
    fired: dict[str, list[str]] = field(default_factory=dict)
    # "name.end" -> the value each fold's calibration chose.
    spread: dict[str, list[float]] = field(default_factory=dict)
    # The folds' names, and per fold: degradation name -> caught / eligible in that fold.
    fold_names: list[str] = field(default_factory=list)
    fold_detection: list[dict[str, Tally]] = field(default_factory=list)
    # Portraits in each held-out fold.
    fold_sizes: list[int] = field(default_factory=list)

    def worst_fold(self, degradation: str) -> tuple[str, Tally]:
        """The held-out fold that caught the smallest share of this degradation (folds with copies to
        catch only), with its tally; ("", empty tally) when no fold had any.
        """
        tallies = [
            (name, folds[degradation])
            for name, folds in zip(self.fold_names, self.fold_detection, strict=True)
            if folds[degradation].total
        ]
        if not tallies:
            return "", Tally()
        return min(tallies, key=lambda item: item[1].rate)

    @property
    def macro_detection(self) -> float:
        rates = [t.rate for t in self.detection.values() if t.total]
        return float(np.mean(rates)) if rates else math.nan


def caught(portrait: Portrait, degradation: Degradation, thresholds: FaceThresholds) -> bool:
    """Whether the degraded copy fails one of the checks that must catch the degradation."""
    measured = portrait.degraded[degradation.name]
    return any(measured.failed(c, thresholds) for c in degradation.catches)


def eligible(portrait: Portrait, degradation: Degradation, thresholds: FaceThresholds) -> bool:
    """Whether the original passes every check meant to catch the degradation (the copy counts)."""
    return not any(portrait.original.failed(c, thresholds) for c in degradation.catches)


def cross_validate(
    portraits: Sequence[Portrait],
    k: int = 5,
    suite: Sequence[Degradation] = SUITE,
    folds: Folds | None = None,
) -> CrossValidation:
    """Calibrates on all folds but one and counts on that one, for each fold in turn. `folds` defaults
    to k folds by subject.
    """
    split = folds or Folds.by_subject(portraits, k)
    result = CrossValidation(len(split.folds))
    result.detection = {d.name: Tally() for d in suite}
    result.false_alarms = {c.value: Tally() for c in FaceCheck}
    result.fired = {c.value: [] for c in FaceCheck}
    result.spread = {f"{limit.name}.{limit.end}": [] for limit in CALIBRATED}
    for i, held_out in enumerate(split.folds):
        if not held_out:
            continue
        training = [p for j, fold in enumerate(split.folds) if j != i for p in fold]
        thresholds = calibrated(training)
        per_fold = {d.name: Tally() for d in suite}
        result.fold_names.append(split.names[i])
        result.fold_detection.append(per_fold)
        result.fold_sizes.append(len(held_out))
        for limit in CALIBRATED:
            value: float | None = getattr(getattr(thresholds, limit.name), limit.end)
            result.spread[f"{limit.name}.{limit.end}"].append(math.nan if value is None else value)
        for portrait in held_out:
            for check in FaceCheck:
                tally = result.false_alarms[check.value]
                tally.total += 1
                if portrait.original.failed(check, thresholds):
                    tally.hits += 1
                    result.fired[check.value].append(portrait.name)
            for degradation in suite:
                if eligible(portrait, degradation, thresholds):
                    hit = caught(portrait, degradation, thresholds)
                    for tally in (result.detection[degradation.name], per_fold[degradation.name]):
                        tally.total += 1
                        tally.hits += hit
    return result


def calibrated_limit_names() -> tuple[str, ...]:
    """The names ("check.min" or "check.max") of the limits calibration sets."""
    return tuple(f"{limit.name}.{limit.end}" for limit in CALIBRATED)


def limit_value(thresholds: FaceThresholds, name_end: str) -> float:
    """The value of one named limit ("check.min"); NaN when the limit is not set."""
    name, end = name_end.split(".")
    value: float | None = getattr(getattr(thresholds, name), end)
    return math.nan if value is None else value

"""One set of prints scored the FVC way: each print extracted once, each pair compared once.

The scores of a set form a symmetric matrix over its prints (finger after finger, impressions in
order); the pairs the protocol counts are read from it:

* genuine: every two impressions of one finger (28 per finger of 8 impressions);
* FVC impostors: the first impressions of every two fingers (45 for 10 fingers);
* all impostors: every two prints of different fingers (2,880 for 10 fingers x 8), the only sample
  large enough to read a false-match rate of 0.1 %.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from kitd.matching.comparison import compare_templates
from kitd.matching.evaluation.folders import PrintSet
from kitd.matching.extraction import extract_template
from kitd.matching.template import Template
from kitd.quality.finger import FingerprintImageError, FingerQuality

# The quality of a print the finger assessment refuses (a size or resolution it does not support).
NOT_ASSESSED = -1

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class ScoredSet:
    """A set's pair scores with what was measured on the way (per print and per comparison)."""

    name: str
    fingers: tuple[str, ...]
    # Per print (the set's order): its finger (index into `fingers`) and its rank among that finger's
    # impressions (0 = the first).
    finger_of: Ints
    rank_of: Ints
    # scores[i, j] == scores[j, i]: the earlier print (probe) compared with the later one; NaN where
    # the pair was not compared (the diagonal, and impostor pairs left out on purpose).
    scores: Floats
    # The same pairs' scores of the minutiae alone (a reference without the ridge flow).
    minutiae_scores: Floats
    minutiae: Ints
    # The finger quality score (0..100) of each print, NOT_ASSESSED when the assessment refused it.
    quality: Ints
    extraction_ms: Floats
    comparison_ms: Floats

    @property
    def prints(self) -> int:
        return int(self.finger_of.size)

    def index(self, finger: int, rank: int) -> int:
        """The print of finger number `finger` (0-based) and impression rank `rank`."""
        found = np.flatnonzero((self.finger_of == finger) & (self.rank_of == rank))
        if found.size != 1:
            raise IndexError(f"{self.name}: no impression {rank} of finger {finger}")
        return int(found[0])

    def impressions_of(self, finger: int) -> Ints:
        """The prints of finger number `finger`, in impression order."""
        found = np.flatnonzero(self.finger_of == finger)
        return found[np.argsort(self.rank_of[found], kind="stable")]

    def kept_at(self, floor: int) -> ScoredSet:
        """The same set with only the pairs of prints whose quality reaches `floor` (the captures an
        enrolment at that floor keeps); the other pairs count as not compared.
        """
        low = self.quality < floor
        scores, minutiae_scores = self.scores.copy(), self.minutiae_scores.copy()
        for kept in (scores, minutiae_scores):
            kept[low, :] = np.nan
            kept[:, low] = np.nan
        return replace(
            self, name=f"{self.name} >= {floor}", scores=scores, minutiae_scores=minutiae_scores
        )

    def minutiae_only(self) -> ScoredSet:
        """The same set scored on minutiae alone (the scores a reference without the flow gets)."""
        return replace(self, name=f"{self.name} (minutiae)", scores=self.minutiae_scores)

    def _upper(self, keep: NDArray[np.bool_]) -> Floats:
        # Each pair once; pairs that were not compared (NaN) count nowhere.
        chosen = self.scores[np.triu(keep, k=1)]
        return chosen[~np.isnan(chosen)]

    def genuine(self) -> Floats:
        return self._upper(self.finger_of[:, None] == self.finger_of[None, :])

    def impostor(self) -> Floats:
        """Every pair of prints of different fingers."""
        return self._upper(self.finger_of[:, None] != self.finger_of[None, :])

    def fvc_impostor(self) -> Floats:
        """The first impressions of every two fingers (the FVC competitions' impostor pairs)."""
        first = self.rank_of == 0
        return self._upper(
            (self.finger_of[:, None] != self.finger_of[None, :]) & first[:, None] & first[None, :]
        )


def _quality(assessor: FingerQuality | None, pixels: NDArray[np.uint8], ppi: int) -> int:
    if assessor is None:
        return NOT_ASSESSED
    try:
        return assessor.assess(pixels, ppi).score
    except FingerprintImageError:
        return NOT_ASSESSED


def score_images(
    name: str,
    fingers: tuple[str, ...],
    images: Iterable[tuple[int, NDArray[np.uint8]]],
    *,
    ppi: int = 500,
    quality: FingerQuality | None = None,
    every_impostor_pair: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ScoredSet:
    """Score prints given as (finger number, pixels), each finger's impressions in order.

    Every print is extracted once, after its quality (which the template carries, as the capture flow
    does); then every pair is compared once, or, without `every_impostor_pair`, only the genuine and
    the FVC impostor pairs (the others stay NaN and count nowhere). Without `quality` every print is
    NOT_ASSESSED.
    """
    templates: list[Template] = []
    finger_of: list[int] = []
    rank_of: list[int] = []
    qualities: list[int] = []
    extraction: list[float] = []
    for finger, pixels in images:
        score = _quality(quality, pixels, ppi)
        started = time.perf_counter()
        template = extract_template(pixels, ppi, finger_quality=max(0, score))
        extraction.append(1000 * (time.perf_counter() - started))
        templates.append(template)
        rank_of.append(finger_of.count(finger))
        finger_of.append(finger)
        qualities.append(score)
    if progress:
        progress(f"{name}: {len(templates)} prints extracted")
    count = len(templates)
    scores = np.full((count, count), np.nan)
    minutiae_scores = scores.copy()
    comparison: list[float] = []
    for a in range(count):
        for b in range(a + 1, count):
            wanted = finger_of[a] == finger_of[b] or rank_of[a] == rank_of[b] == 0
            if not (wanted or every_impostor_pair):
                continue
            started = time.perf_counter()
            found = compare_templates(templates[a], templates[b])
            comparison.append(1000 * (time.perf_counter() - started))
            scores[a, b] = scores[b, a] = found.score
            minutiae_scores[a, b] = minutiae_scores[b, a] = found.minutiae_score
    if progress:
        progress(f"{name}: {len(comparison)} pairs compared")
    return ScoredSet(
        name=name,
        fingers=fingers,
        finger_of=np.asarray(finger_of, np.int64),
        rank_of=np.asarray(rank_of, np.int64),
        scores=scores,
        minutiae_scores=minutiae_scores,
        minutiae=np.asarray([t.count for t in templates], np.int64),
        quality=np.asarray(qualities, np.int64),
        extraction_ms=np.asarray(extraction, np.float64),
        comparison_ms=np.asarray(comparison, np.float64),
    )


def score_set(
    print_set: PrintSet,
    *,
    ppi: int = 500,
    quality: FingerQuality | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScoredSet:
    """Score a set read from disk with every pair compared (score_images); images are read one by one."""
    return score_images(
        print_set.name,
        tuple(f[0].finger for f in print_set.fingers),
        ((number, i.pixels()) for number, finger in enumerate(print_set.fingers) for i in finger),
        ppi=ppi,
        quality=quality,
        progress=progress,
    )

"""The card delivery as a citizen lives it, simulated on a scored set of prints.

What is simulated (the delivery verification of kitd/session: `[delivery]` of the policy):

* citizens: the set's fingers taken two by two in order ((1st, 2nd), (3rd, 4th), ...; an odd last
  finger is left out), the first of each pair enrolled as the first finger (as a right index), the
  second as the second; each finger is enrolled with its first impression;
* a visit: the citizen presents the enrolled fingers in order, `max_attempts` live prints each (the
  policy's attempts per finger; fewer if the set has fewer other impressions); a live print is one of
  the finger's other impressions, none used twice; a print below the policy's quality floor is an
  attempt without a comparison; **any attempt whose score reaches the threshold verifies** (the best
  score over every attempt on both fingers decides). Since the order of the attempts cannot change that
  outcome, every choice of live impressions is one visit: C(7, 3) = 35 choices per finger of 8
  impressions, 35 x 35 = 1,225 visits per citizen, counted exactly rather than drawn at random;
* false rejection: a genuine citizen's visit where no attempt on either finger matched (sent away);
* false acceptance: an impostor's visit, another citizen of the same set presenting their own fingers
  (their first finger for the enrolled first finger, their second for the second) with the same
  attempts, where some attempt matched.

Prints the quality assessment refused (NOT_ASSESSED) are compared like any other: the kit's reader
never delivers one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import comb, nan

import numpy as np

from kitd.matching.evaluation.scoring import NOT_ASSESSED, ScoredSet
from kitd.policy.model import DeliveryPolicy


@dataclass(frozen=True)
class VisitRule:
    """What the simulation takes from a delivery policy."""

    attempts: int
    enrolled_fingers: int
    min_quality: int

    @classmethod
    def of(cls, delivery: DeliveryPolicy, *, quality_floor: bool = True) -> VisitRule:
        return cls(
            delivery.max_attempts,
            delivery.enrolled_fingers,
            delivery.min_quality if quality_floor else 0,
        )


@dataclass(frozen=True)
class VisitFigures:
    """Visit counts at one threshold, for one set or a pool of sets."""

    threshold: float
    citizens: int
    genuine_visits: int
    # Genuine visits where no attempt matched: the citizen is sent away (or to the visual check).
    rejected: int
    # Citizens sent away by at least one choice of attempts.
    citizens_rejected: int
    impostor_visits: int
    # Impostor visits where some attempt matched.
    accepted: int
    # The live prints of the citizens' fingers, and those below the quality floor among them.
    live_prints: int
    below_floor: int

    @property
    def false_rejection(self) -> float:
        return self.rejected / self.genuine_visits if self.genuine_visits else nan

    @property
    def false_acceptance(self) -> float:
        return self.accepted / self.impostor_visits if self.impostor_visits else nan


def citizens(scored: ScoredSet, enrolled_fingers: int) -> list[tuple[int, ...]]:
    """The set's fingers two by two; each citizen keeps the first `enrolled_fingers` of the pair."""
    count = len(scored.fingers) // 2 * 2
    return [(f, f + 1)[:enrolled_fingers] for f in range(0, count, 2)]


def _failing(
    scored: ScoredSet, live: np.ndarray, enrolled: int, threshold: float, rule: VisitRule
) -> int:
    """How many of the `live` prints fail against the `enrolled` print."""
    quality = scored.quality[live]
    floor_ok = (quality >= rule.min_quality) | (quality == NOT_ASSESSED)
    matched = floor_ok & (scored.scores[live, enrolled] >= threshold)
    return int(live.size - matched.sum())


def _choices(scored: ScoredSet, finger: int, rule: VisitRule) -> tuple[np.ndarray, int]:
    """A finger's live prints (every impression but the first) and the attempts made with them."""
    live = scored.impressions_of(finger)[1:]
    return live, min(rule.attempts, int(live.size))


def _visits(
    scored: ScoredSet,
    presented: tuple[int, ...],
    enrolled: tuple[int, ...],
    threshold: float,
    rule: VisitRule,
) -> tuple[int, int]:
    """(visits, visits where every attempt failed) of `presented` fingers against `enrolled` ones."""
    total, all_failed = 1, 1
    for shown, reference in zip(presented, enrolled, strict=True):
        live, attempts = _choices(scored, shown, rule)
        enrolled_print = scored.impressions_of(reference)[0]
        total *= comb(int(live.size), attempts)
        all_failed *= comb(_failing(scored, live, enrolled_print, threshold, rule), attempts)
    return total, all_failed


def simulate_visits(scored: ScoredSet, rule: VisitRule, threshold: float) -> VisitFigures:
    """Every genuine and impostor delivery visit of the set at `threshold` (see the module)."""
    people = citizens(scored, rule.enrolled_fingers)
    genuine_visits = rejected = citizens_rejected = impostor_visits = accepted = 0
    for citizen in people:
        visits, failed = _visits(scored, citizen, citizen, threshold, rule)
        genuine_visits += visits
        rejected += failed
        citizens_rejected += failed > 0
        for victim in people:
            if victim != citizen:
                visits, failed = _visits(scored, citizen, victim, threshold, rule)
                impostor_visits += visits
                accepted += visits - failed
    live = np.concatenate(
        [_choices(scored, f, rule)[0] for citizen in people for f in citizen] or [np.zeros(0, int)]
    )
    quality = scored.quality[live]
    below = int(((quality < rule.min_quality) & (quality != NOT_ASSESSED)).sum())
    return VisitFigures(
        threshold,
        len(people),
        genuine_visits,
        rejected,
        citizens_rejected,
        impostor_visits,
        accepted,
        int(live.size),
        below,
    )


def pooled(figures: Iterable[VisitFigures]) -> VisitFigures:
    """The counts of several sets together (the threshold when they share one, else NaN)."""
    every = list(figures)
    thresholds = {f.threshold for f in every}
    return VisitFigures(
        thresholds.pop() if len(thresholds) == 1 else nan,
        sum(f.citizens for f in every),
        sum(f.genuine_visits for f in every),
        sum(f.rejected for f in every),
        sum(f.citizens_rejected for f in every),
        sum(f.impostor_visits for f in every),
        sum(f.accepted for f in every),
        sum(f.live_prints for f in every),
        sum(f.below_floor for f in every),
    )

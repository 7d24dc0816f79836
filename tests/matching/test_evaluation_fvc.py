"""The comparator's evaluation on a slice of real prints (an FVC "B" set of ../shared: 4 fingers x 4
impressions), through the same functions and command as the full run; the figures are not judged here,
only that every count is the protocol's and every rate a rate."""

from __future__ import annotations

import json
import subprocess
from math import comb
from pathlib import Path

import pytest

from kitd.matching.evaluation.folders import read_print_set
from kitd.matching.evaluation.rates import pair_figures
from kitd.matching.evaluation.scoring import ScoredSet, score_set
from kitd.matching.evaluation.visits import VisitRule, simulate_visits
from kitd.matching.thresholds import THRESHOLDS, threshold_for
from kitd.policy.loader import load_policies
from kitd.quality.finger import FingerQuality

pytestmark = pytest.mark.reference

ROOT = Path(__file__).resolve().parents[2]
FINGERS, IMPRESSIONS = 4, 4


@pytest.fixture(scope="module")
def fvc(shared_data: Path) -> Path:
    return shared_data / "fingerprints" / "fvc"


@pytest.fixture(scope="module")
def scored(fvc: Path) -> ScoredSet:
    found = read_print_set(fvc / "fvc2002_db1_b", fingers=FINGERS, impressions=IMPRESSIONS)
    return score_set(found, quality=FingerQuality())


def test_the_slice_counts_the_fvc_pairs(scored: ScoredSet) -> None:
    genuine = FINGERS * comb(IMPRESSIONS, 2)
    assert scored.genuine().size == genuine
    assert scored.impostor().size == comb(FINGERS * IMPRESSIONS, 2) - genuine
    assert scored.fvc_impostor().size == comb(FINGERS, 2)
    assert scored.fingers == ("101", "102", "103", "104")


def test_the_real_prints_give_rates_and_measured_times(scored: ScoredSet) -> None:
    figures = pair_figures(scored.genuine(), scored.impostor(), scored.fvc_impostor(), THRESHOLDS)
    points = [figures.at_fmr_1pct, figures.at_fmr_01pct, *figures.kit.values()]
    assert all(0.0 <= p.fmr <= 1.0 and 0.0 <= p.fnmr <= 1.0 for p in points)
    assert 0.0 <= figures.eer <= 0.5
    assert figures.genuine_median > figures.impostor_median
    assert (scored.extraction_ms > 0).all() and (scored.comparison_ms > 0).all()
    assert ((scored.quality >= 0) & (scored.quality <= 100)).all()


def test_the_slice_simulates_the_policys_delivery_visits(scored: ScoredSet) -> None:
    delivery = load_policies().by_id["be-eid-delivery"].delivery
    rule = VisitRule.of(delivery)
    visits = simulate_visits(scored, rule, threshold_for(delivery.false_match_rate))
    attempts = min(rule.attempts, IMPRESSIONS - 1)
    per_citizen = comb(IMPRESSIONS - 1, attempts) ** rule.enrolled_fingers
    assert visits.citizens == FINGERS // 2
    assert visits.genuine_visits == visits.citizens * per_citizen
    assert visits.impostor_visits == visits.citizens * (visits.citizens - 1) * per_citizen
    assert 0 <= visits.rejected <= visits.genuine_visits
    assert 0 <= visits.accepted <= visits.impostor_visits
    assert visits.live_prints == FINGERS * (IMPRESSIONS - 1)


def test_eval_match_reports_every_fvc_set_and_pools_the_real_ones(fvc: Path) -> None:
    done = subprocess.run(
        [
            str(ROOT / "scripts" / "eval-match"),
            *("--real", str(fvc), "--real-fingers", "2", "--real-impressions", "3"),
            *("--no-synthetic", "--no-quality-floor", "--json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    real = {s["name"]: s["real"] for s in result["real"]["sets"]}
    assert real == {
        "fvc2002_db1_b": True,
        "fvc2002_db3_b": True,
        "fvc2002_db4_b": False,
        "fvc2004_db2_b": True,
    }
    pairs = result["real"]["pooled"]["pairs"]
    assert pairs["genuine_pairs"] == 3 * 2 * comb(3, 2)
    assert pairs["impostor_pairs"] == 3 * (comb(6, 2) - 2 * comb(3, 2))
    assert pairs["fvc_impostor_pairs"] == 3

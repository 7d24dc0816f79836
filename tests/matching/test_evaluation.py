"""The comparator's evaluation (kitd/matching/evaluation, scripts/eval-match) on data made here: the
simulator's prints written as a set of PNG files, and score matrices chosen by hand, so every count and
rate can be checked against what it must be."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from dataclasses import replace
from math import comb
from pathlib import Path

import cv2
import numpy as np
import pytest

from kitd.matching.evaluation.folders import PrintFolderError, print_sets, read_print_set
from kitd.matching.evaluation.rates import (
    calibrate,
    equal_error_rate,
    fmr_at,
    fnmr_at,
    pair_figures,
    rounded_up,
    threshold_at_fmr,
)
from kitd.matching.evaluation.scoring import NOT_ASSESSED, ScoredSet, score_set
from kitd.matching.evaluation.visits import VisitRule, citizens, pooled, simulate_visits
from kitd.matching.thresholds import THRESHOLDS
from kitd.policy.loader import load_policies
from kitsim.prints.impression import Placement, render
from kitsim.prints.master import master_print

ROOT = Path(__file__).resolve().parents[2]
FINGERS, IMPRESSIONS = 4, 3


def write_set(
    folder: Path, person: str, fingers: int = FINGERS, impressions: int = IMPRESSIONS
) -> Path:
    """The simulator's prints of `fingers` fingers as <finger>_<impression>.png, FVC's numbering."""
    folder.mkdir(parents=True)
    for finger in range(fingers):
        master = master_print(person, finger + 1)
        for impression in range(impressions):
            pixels = render(master, Placement(quality=0.85, seed=10 * finger + impression))
            cv2.imwrite(str(folder / f"{101 + finger}_{impression + 1}.png"), pixels)
    return folder


@pytest.fixture(scope="module")
def print_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_set(tmp_path_factory.mktemp("prints") / "sim_db1", "eval-anna")


@pytest.fixture(scope="module")
def scored(print_folder: Path) -> ScoredSet:
    return score_set(read_print_set(print_folder))


# Rates


def test_the_threshold_for_a_rate_lets_that_share_of_impostors_through_and_no_more() -> None:
    impostor = np.arange(1000, dtype=np.float64)
    threshold = threshold_at_fmr(impostor, 0.01)
    assert fmr_at(impostor, threshold) == 0.01
    assert fmr_at(impostor, np.nextafter(threshold, -np.inf)) > 0.01


def test_a_rate_the_sample_cannot_resolve_gets_a_threshold_above_every_impostor() -> None:
    impostor = np.array([1.0, 2.0, 5.0, 3.0])
    (point,) = calibrate(impostor, [0.01])
    assert not point.resolved
    assert point.threshold > 5.0
    assert point.false_matches == 0
    (point,) = calibrate(np.arange(200, dtype=np.float64), [0.01])
    assert point.resolved and point.false_matches == 2


def test_a_rounded_threshold_is_never_below_the_measured_one() -> None:
    for measured in (4.46, np.nextafter(4.46, np.inf), 3.0, 0.1 + 0.2):
        assert rounded_up(float(measured)) >= measured
        assert rounded_up(float(measured)) - measured < 0.01 + 1e-12
    assert rounded_up(4.46) == 4.46
    assert rounded_up(float(np.nextafter(4.46, np.inf))) == 4.47


def test_the_equal_error_rate_is_zero_apart_and_about_half_when_alike() -> None:
    assert equal_error_rate(np.array([10.0, 11, 12]), np.array([1.0, 2, 3])) == 0.0
    same = np.arange(100, dtype=np.float64)
    assert abs(equal_error_rate(same, same) - 0.5) <= 0.01


def test_pair_figures_read_every_rate_at_the_kits_thresholds() -> None:
    genuine, impostor = np.array([1.0, 5.0, 9.0, 20.0]), np.linspace(0.0, 4.0, 500)
    figures = pair_figures(genuine, impostor, impostor[:10], THRESHOLDS)
    assert figures.genuine_pairs == 4 and figures.impostor_pairs == 500
    assert figures.fvc_impostor_pairs == 10
    assert set(figures.kit) == set(THRESHOLDS)
    for rate, point in figures.kit.items():
        assert point.threshold == THRESHOLDS[rate]
        assert point.fnmr == fnmr_at(genuine, THRESHOLDS[rate])
    assert figures.at_fmr_1pct.resolved and not figures.at_fmr_01pct.resolved


# Folders and scoring


def test_a_set_orders_fingers_and_impressions_by_number(tmp_path: Path) -> None:
    for name in ("12_10", "12_2", "9_1", "9_2", "12_1", "notes.txt"):
        cv2.imwrite(str(tmp_path / f"{name}.png"), np.full((20, 20), 200, np.uint8))
    found = read_print_set(tmp_path)
    assert [f[0].finger for f in found.fingers] == ["9", "12"]
    assert [i.impression for i in found.fingers[1]] == ["1", "2", "10"]
    sliced = read_print_set(tmp_path, fingers=2, impressions=2)
    assert [len(f) for f in sliced.fingers] == [2, 2]


@pytest.mark.parametrize(
    ("names", "says"),
    [
        ([], "at least 2 fingers"),
        (["101_1", "101_2"], "at least 2 fingers"),
        (["101_1", "101_2", "102_1"], "single impression: 102"),
    ],
)
def test_a_folder_that_is_no_set_is_refused_with_the_reason(
    tmp_path: Path, names: list[str], says: str
) -> None:
    for name in names:
        cv2.imwrite(str(tmp_path / f"{name}.png"), np.full((20, 20), 200, np.uint8))
    with pytest.raises(PrintFolderError, match=says):
        read_print_set(tmp_path)


def test_an_unreadable_print_is_named(tmp_path: Path) -> None:
    for name in ("101_1", "101_2", "102_1", "102_2"):
        (tmp_path / f"{name}.png").write_bytes(b"not a png")
    found = read_print_set(tmp_path)
    with pytest.raises(PrintFolderError, match=re.escape("101_1.png: not a readable image")):
        found.fingers[0][0].pixels()


def test_a_collection_is_its_subfolders_that_hold_prints(
    print_folder: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    shutil.copytree(print_folder, tmp_path / "b_set")
    assert [s.name for s in print_sets(tmp_path)] == ["b_set"]
    assert [s.name for s in print_sets(print_folder)] == ["sim_db1"]
    with pytest.raises(PrintFolderError, match="no subfolder"):
        print_sets(tmp_path / "empty")


def test_every_pair_is_scored_once_and_counted_by_the_fvc_protocol(scored: ScoredSet) -> None:
    prints = FINGERS * IMPRESSIONS
    assert scored.genuine().size == FINGERS * comb(IMPRESSIONS, 2)
    assert scored.impostor().size == comb(prints, 2) - FINGERS * comb(IMPRESSIONS, 2)
    assert scored.fvc_impostor().size == comb(FINGERS, 2)
    assert scored.comparison_ms.size == comb(prints, 2)
    assert scored.extraction_ms.size == prints
    assert np.array_equal(scored.scores, scored.scores.T, equal_nan=True)
    assert (scored.quality == NOT_ASSESSED).all()


def test_the_same_finger_scores_above_other_fingers(scored: ScoredSet) -> None:
    assert np.median(scored.genuine()) > np.max(scored.impostor())
    assert (scored.minutiae > 10).all()


# Visits


def hand_made(scores: dict[tuple[int, int], float], fingers: int, impressions: int) -> ScoredSet:
    """A set whose print pairs score 0 except `scores` (print index pairs, the set's order)."""
    count = fingers * impressions
    matrix = np.zeros((count, count))
    np.fill_diagonal(matrix, np.nan)
    for (a, b), score in scores.items():
        matrix[a, b] = matrix[b, a] = score
    return ScoredSet(
        name="hand-made",
        fingers=tuple(str(f) for f in range(fingers)),
        finger_of=np.repeat(np.arange(fingers), impressions),
        rank_of=np.tile(np.arange(impressions), fingers),
        scores=matrix,
        minutiae_scores=matrix / 2,
        minutiae=np.full(count, 30),
        quality=np.full(count, 50),
        extraction_ms=np.ones(count),
        comparison_ms=np.ones(comb(count, 2)),
    )


def test_pairs_with_a_print_below_the_floor_count_nowhere_in_the_kept_captures() -> None:
    # Finger 0's prints 0, 1, 2 and finger 1's prints 3, 4, 5; print 1 is below the floor.
    full = hand_made({(0, 1): 9.0, (0, 2): 8.0, (1, 2): 7.0, (3, 4): 6.0, (1, 3): 5.0}, 2, 3)
    low = replace(full, quality=np.array([50, 29, 30, 50, 50, 50]))
    kept = low.kept_at(30)
    assert sorted(kept.genuine()) == [0.0, 0.0, 6.0, 8.0]
    assert kept.impostor().size == 3 * 3 - 3
    assert 5.0 not in kept.impostor()
    # The minutiae-only scores leave the same pairs out.
    assert sorted(kept.minutiae_only().genuine()) == [0.0, 0.0, 3.0, 4.0]
    # The set itself is left as it was.
    assert sorted(low.genuine()) == [0.0, 0.0, 6.0, 7.0, 8.0, 9.0]


def test_the_rule_is_the_delivery_policys() -> None:
    delivery = load_policies().by_id["be-eid-delivery"].delivery
    rule = VisitRule.of(delivery)
    assert (rule.attempts, rule.enrolled_fingers, rule.min_quality) == (
        delivery.max_attempts,
        delivery.enrolled_fingers,
        delivery.min_quality,
    )
    assert VisitRule.of(delivery, quality_floor=False).min_quality == 0


def test_citizens_are_the_fingers_two_by_two() -> None:
    five = hand_made({}, fingers=5, impressions=2)
    assert citizens(five, 2) == [(0, 1), (2, 3)]
    assert citizens(five, 1) == [(0,), (2,)]


def test_a_citizen_is_sent_away_only_when_no_attempt_on_either_finger_matches() -> None:
    # 4 fingers x 4 impressions: citizen 0 = fingers 0 and 1 (prints 0-3, 4-7), citizen 1 = 2 and 3.
    # Citizen 0's second finger matches on its impression 2 (print 5 against enrolled print 4);
    # nothing of citizen 1 matches.
    scored = hand_made({(4, 5): 9.0}, fingers=4, impressions=4)
    rule = VisitRule(attempts=2, enrolled_fingers=2, min_quality=10)
    visits = simulate_visits(scored, rule, threshold=5.0)
    per_citizen = comb(3, 2) ** 2  # 2 attempts from 3 live prints, on each finger
    assert visits.citizens == 2 and visits.genuine_visits == 2 * per_citizen
    # Citizen 0 fails only when impression 2 is not among the second finger's attempts.
    assert visits.rejected == comb(3, 2) * comb(2, 2) + per_citizen
    assert visits.citizens_rejected == 2
    assert visits.impostor_visits == 2 * per_citizen and visits.accepted == 0
    assert 0.0 <= visits.false_rejection <= 1.0


def test_an_impostor_with_a_matching_print_is_let_in_by_the_visits_that_try_it() -> None:
    # Citizen 1's first finger (prints 8-11) impression 3 scores high against citizen 0's enrolled
    # first finger (print 0).
    scored = hand_made({(10, 0): 9.0}, fingers=4, impressions=4)
    rule = VisitRule(attempts=1, enrolled_fingers=2, min_quality=0)
    visits = simulate_visits(scored, rule, threshold=5.0)
    # One attempt per finger: 3 x 3 visits per impostor; those with print 10 first: 1 x 3.
    assert visits.impostor_visits == 2 * 9
    assert visits.accepted == 3
    assert math.isclose(visits.false_acceptance, 3 / 18)


def test_a_print_below_the_quality_floor_is_an_attempt_without_a_comparison() -> None:
    scored = hand_made({(0, 1): 9.0, (4, 5): 9.0, (8, 9): 9.0, (12, 13): 9.0}, 4, 4)
    low = scored.quality.copy()
    low[[1, 5]] = 5  # citizen 0's matching live prints are below the floor
    scored = replace(scored, quality=low)
    rule = VisitRule(attempts=3, enrolled_fingers=2, min_quality=10)
    visits = simulate_visits(scored, rule, threshold=5.0)
    assert visits.rejected == 1 and visits.genuine_visits == 2
    assert visits.below_floor == 2 and visits.live_prints == 12
    without_floor = simulate_visits(scored, VisitRule(3, 2, 0), threshold=5.0)
    assert without_floor.rejected == 0


def test_pooled_visits_add_the_counts() -> None:
    scored = hand_made({}, 4, 4)
    one = simulate_visits(scored, VisitRule(3, 2, 0), threshold=5.0)
    both = pooled([one, one])
    assert both.genuine_visits == 2 * one.genuine_visits and both.rejected == 2 * one.rejected
    assert both.threshold == 5.0


# The command


def test_eval_match_pools_the_real_sets_and_reports_the_synthetic_apart(
    print_folder: Path, tmp_path: Path
) -> None:
    # The name decides: an FVC fourth database is synthetic, whatever its prints.
    for name in ("fvc2002_db1_b", "fvc2002_db4_b"):
        shutil.copytree(print_folder, tmp_path / name)
    done = subprocess.run(
        [
            str(ROOT / "scripts" / "eval-match"),
            *("--real", str(tmp_path), "--no-synthetic", "--no-quality-floor", "--json"),
            *("--plot", str(tmp_path / "scores.png")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    sets = {s["name"]: s for s in result["real"]["sets"]}
    assert {name: s["real"] for name, s in sets.items()} == {
        "fvc2002_db1_b": True,
        "fvc2002_db4_b": False,
    }
    pool = result["real"]["pooled"]
    assert pool["pairs"] == sets["fvc2002_db1_b"]["pairs"]
    assert pool["visits_kit"]["genuine_visits"] == 2 * comb(2, 2) ** 2
    assert result["synthetic"] is None
    assert cv2.imread(str(tmp_path / "scores.png")).shape == (480, 900, 3)
    # Without quality assessed there are no kept captures to report.
    assert result["real"]["kept"]["sets"] == []


def test_eval_match_reports_the_captures_an_enrolment_keeps(
    print_folder: Path, tmp_path: Path
) -> None:
    shutil.copytree(print_folder, tmp_path / "fvc2002_db1_b")
    command = [str(ROOT / "scripts" / "eval-match"), "--real", str(tmp_path), "--no-synthetic"]
    floors = {}
    for floor in (0, 101):
        done = subprocess.run(
            [*command, "--json", "--enrolment-floor", str(floor)],
            capture_output=True,
            text=True,
            check=False,
        )
        floors[floor] = done
    assert floors[101].returncode == 2 and "--enrolment-floor: 0..100" in floors[101].stderr
    result = json.loads(floors[0].stdout)
    kept = result["real"]["kept"]
    assert kept["floor"] == 0
    # At floor 0 every assessed print is kept: the same pairs as the headline.
    assert kept["pooled"]["pairs"] == result["real"]["pooled"]["pairs"]
    assert kept["sets"][0]["name"] == "fvc2002_db1_b >= 0"


def test_eval_match_refuses_a_folder_without_prints(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "eval-match"), "--real", str(tmp_path), "--no-synthetic"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "no subfolder holds <finger>_<impression>.png prints" in done.stderr

"""The comparator on real prints (slices of two FVC "B" sets of ../shared): at the kit's own threshold
for FMR 0.1 % it keeps the genuine pairs of real fingers and refuses their impostor pairs. The earlier
comparator, tuned on the simulator alone, failed about half of these genuine pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitd.matching.evaluation.folders import read_print_set
from kitd.matching.evaluation.scoring import score_set
from kitd.matching.thresholds import threshold_for
from kitd.quality.finger import FingerQuality

pytestmark = pytest.mark.reference

FINGERS, IMPRESSIONS = 4, 4  # 24 genuine and 96 impostor pairs per set


@pytest.mark.parametrize("name", ["fvc2002_db1_b", "fvc2002_db3_b"])
def test_real_genuine_pairs_match_and_impostors_do_not_at_the_kits_threshold(
    shared_data: Path, name: str
) -> None:
    found = read_print_set(
        shared_data / "fingerprints" / "fvc" / name, fingers=FINGERS, impressions=IMPRESSIONS
    )
    scored = score_set(found, quality=FingerQuality())
    threshold = threshold_for(0.001)
    assert int((scored.genuine() < threshold).sum()) <= 2
    assert int((scored.impostor() >= threshold).sum()) == 0

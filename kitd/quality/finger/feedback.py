"""Actionable feedback for the operator: what is wrong with a fingerprint capture and what to do about it.

Each code is decided by a rule on measured values (NFIQ 2's own actionable-feedback values where NFIQ 2
has one, otherwise on its native features), with the limits as data below. Rules only read values; they
never look at pixels and never change the score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from enum import StrEnum

from kitd.locale.message import Message
from kitd.quality.check import CheckResult


class Feedback(StrEnum):
    """What is wrong with a print, in the order an operator should fix it."""

    EMPTY = "empty"
    TOO_DARK = "too_dark"
    LOW_CONTRAST = "low_contrast"
    SMALL_AREA = "small_area"
    FEW_MINUTIAE = "few_minutiae"
    OFF_CENTRE = "off_centre"
    SMUDGED = "smudged"
    DRY = "dry"

    @property
    def message(self) -> Message:
        """What to tell the operator (`finger.feedback.<code>`, texts in kitd/locale/catalogs)."""
        return Message(f"finger.feedback.{self.value}")


@dataclass(frozen=True)
class Rule:
    """A feedback condition: fires when `measure(values)` is beyond `limit` in the direction given."""

    code: Feedback
    measure: Callable[[Mapping[str, float]], float]
    limit: float
    _: KW_ONLY
    fires_above: bool
    # Only judged when this holds (e.g. clarity problems are only wet or dry if the print is unclear).
    applies: Callable[[Mapping[str, float]], bool] = lambda values: True

    def check(self, values: Mapping[str, float]) -> CheckResult:
        value = self.measure(values)
        fired = self.applies(values) and (
            value > self.limit if self.fires_above else value < self.limit
        )
        return CheckResult(
            id=str(self.code),
            value=float(value),
            threshold=self.limit,
            passed=not fired,
            quality=0 if fired else 100,
            guidance=self.code.message if fired else None,
        )


# NFIQ 2's limits: mean grey above 250 is empty, grey-level deviation below 1 is uniform, fewer than
# 50 000 foreground pixels or 5 minutiae is too little (our extractor's counts follow NFIQ 2's within
# about 20 %, rank correlation 0.8 on the labelled set). A finger centre more than 20 % of a side from the
# middle is off-centre. The wet/dry limits were set on the real FVC impressions (optical and capacitive)
# and the synthetic set's wet/dry skin knobs (docs/quality-finger.md): a print is unclear below this local
# clarity; an unclear print is smudged when its ridges cover more than half of the finger area, dry when
# they cover less than a third. Absolute grey levels are no guide there: a capacitive sensor's dry print
# is darker than an optical sensor's wet one.
UNCLEAR_CLARITY = 0.66
WET_RIDGE_SHARE = 0.5
DRY_RIDGE_SHARE = 0.33
# Wet skin on an optical sensor can leave the print light overall, with dark blotches (filled valleys)
# beside faint ridges: smudged too when more than a fifth of the finger area is blotches and the print is
# not plainly clear. Set on the wet impressions of fvc2004_db2_b; no labelled print NFIQ 2 rates 50 or
# more fires (docs/quality-finger.md).
WET_BLOTCH_SHARE = 0.2
BLOTCH_CLARITY = 0.72
# Too dark: the finger area's mean grey below this. At 80, good dark prints of an optical FVC sensor
# (NFIQ 2 above 60) were told to press lighter; at 70 one print of 276 with NFIQ 2 >= 50 is.
DARK_ROI_MEAN = 70.0


# Below this many ridge blocks there is no print whose ridges or position could be judged (NFIQ 2 gives
# up below 10 blocks too); and ridges and valleys of any print differ by far more than this grey-level
# deviation, so a flatter image is an empty platen with sensor noise (NIST's blank frames: 1.6 and 4.4).
MIN_RIDGE_BLOCKS = 10
MIN_PRINT_DEVIATION = 8.0


def _print_present(values: Mapping[str, float]) -> bool:
    return (
        values["ridge_blocks"] >= MIN_RIDGE_BLOCKS and values["UniformImage"] >= MIN_PRINT_DEVIATION
    )


def _unclear(values: Mapping[str, float]) -> bool:
    return _print_present(values) and values["LCS_Bin10_Mean"] < UNCLEAR_CLARITY


def _wetness(values: Mapping[str, float]) -> float:
    """How wet a print looks, as a multiple of the limit (above 1 fires): its ridge share against
    WET_RIDGE_SHARE when it is unclear, its blotch share against WET_BLOTCH_SHARE when it is not plainly
    clear; the larger. 0 when there is no print to judge.
    """
    spread = values["ridge_share"] / WET_RIDGE_SHARE if _unclear(values) else 0.0
    blotched = (
        values["blotch_share"] / WET_BLOTCH_SHARE
        if _print_present(values) and values["LCS_Bin10_Mean"] < BLOTCH_CLARITY
        else 0.0
    )
    return max(spread, blotched)


def _dry_applies(values: Mapping[str, float]) -> bool:
    # A print told smudged is not also told dry: the blotches are what to fix first.
    return _unclear(values) and _wetness(values) <= 1.0


def _off_centre(values: Mapping[str, float]) -> float:
    return max(abs(values["finger_centre_x"] - 0.5), abs(values["finger_centre_y"] - 0.5))


RULES: tuple[Rule, ...] = (
    Rule(Feedback.EMPTY, lambda v: v["EmptyImageOrContrastTooLow"], 250.0, fires_above=True),
    Rule(Feedback.TOO_DARK, lambda v: v["ImgProcROIArea_Mean"], DARK_ROI_MEAN, fires_above=False),
    Rule(Feedback.LOW_CONTRAST, lambda v: v["UniformImage"], 20.0, fires_above=False),
    Rule(
        Feedback.SMALL_AREA,
        lambda v: v["SufficientFingerprintForeground"],
        50_000.0,
        fires_above=False,
    ),
    Rule(
        Feedback.FEW_MINUTIAE,
        lambda v: v["FingerprintImageWithMinutiae"],
        5.0,
        fires_above=False,
        applies=_print_present,
    ),
    Rule(Feedback.OFF_CENTRE, _off_centre, 0.2, fires_above=True, applies=_print_present),
    Rule(Feedback.SMUDGED, _wetness, 1.0, fires_above=True),
    Rule(
        Feedback.DRY,
        lambda v: v["ridge_share"],
        DRY_RIDGE_SHARE,
        fires_above=False,
        applies=_dry_applies,
    ),
)


def feedback_checks(values: Mapping[str, float], *, blank: bool) -> tuple[CheckResult, ...]:
    """One check per feedback condition.

    `values` holds the features, NFIQ 2's feedback values, `ridge_blocks`, `finger_centre_x/_y`,
    `ridge_share` and `blotch_share`.
    An image without a print (blank, or too few ridge blocks) fails `empty` whatever its grey level.
    """
    checks = []
    no_print = blank or not _print_present(values)
    for rule in RULES:
        result = rule.check(values)
        if rule.code is Feedback.EMPTY and no_print and result.passed:
            result = CheckResult(
                id=result.id,
                value=result.value,
                threshold=result.threshold,
                passed=False,
                quality=0,
                guidance=rule.code.message,
            )
        checks.append(result)
    return tuple(checks)

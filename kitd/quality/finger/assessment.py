"""Fingerprint quality assessment as the daemon uses it: features, a 0-100 score and operator feedback.

`FingerQuality` loads the trained model once; `assess` scores a 500 ppi capture, `live_estimate` gives a
rough score for preview frames. Images are only read from memory: this module never writes pixels,
features or scores anywhere (no biometric data on disk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kitd.locale.message import Message
from kitd.quality.check import CheckResult
from kitd.quality.finger import features as feature_extraction
from kitd.quality.finger.feedback import Feedback, feedback_checks
from kitd.quality.finger.image import validate
from kitd.quality.finger.live import live_measures
from kitd.quality.finger.model import QualityModel, load_model

SCORE_CHECK_ID = "nfiq_score"


@dataclass(frozen=True)
class FingerAssessment:
    """A print's NFIQ 2-aligned score, its native features and feedback."""

    score: int  # 0..100, NFIQ 2-aligned; 0 when there is no fingerprint to judge
    features: dict[str, float]  # NFIQ 2 native features, NFIQ 2 names and order
    feedback: tuple[Feedback, ...]  # what to fix, most basic first
    checks: tuple[CheckResult, ...]  # "nfiq_score" first, then one per feedback condition
    # NFIQ 2's actionable-feedback values (UniformImage, EmptyImageOrContrastTooLow, ...).
    feedback_values: dict[str, float]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


class FingerQuality:
    """Assesses fingerprint images; create once (it loads the model) and reuse."""

    def __init__(self, model: QualityModel | None = None) -> None:
        self._model = model if model is not None else load_model()

    @property
    def model(self) -> QualityModel:
        return self._model

    def assess(
        self, pixels: NDArray[np.uint8], ppi: int = 500, min_score: int = 0
    ) -> FingerAssessment:
        """Assess a capture; raises FingerprintImageError when the image cannot be assessed at all."""
        image = validate(pixels, ppi)
        found = feature_extraction.compute(image)
        values: dict[str, float] = {
            **found.features,
            **found.feedback_values,
            # Ridge-area blocks: FDA is measured on each of them once.
            "ridge_blocks": sum(found.features[f"FDA_Bin10_{i}"] for i in range(10)),
            "finger_centre_x": found.finger_centre[0],
            "finger_centre_y": found.finger_centre[1],
            "ridge_share": found.ridge_share,
            "blotch_share": found.blotch_share,
        }
        condition_checks = feedback_checks(values, blank=found.trimmed.blank)
        feedback = tuple(Feedback(check.id) for check in condition_checks if not check.passed)
        if Feedback.EMPTY in feedback:
            # Like NFIQ 2, no score for an image without a print (it refuses them): 0, the lowest.
            score = 0
        else:
            inputs = np.array([[values[name] for name in self._model.input_names]])
            score = int(np.clip(np.rint(self._model.predict(inputs)[0]), 0, 100))
        score_check = CheckResult(
            id=SCORE_CHECK_ID,
            value=float(score),
            threshold=float(min_score),
            passed=score >= min_score,
            quality=score,
            guidance=None if score >= min_score else _score_guidance(feedback),
        )
        return FingerAssessment(
            score=score,
            features=dict(found.features),
            feedback=feedback,
            checks=(score_check, *condition_checks),
            feedback_values=dict(found.feedback_values),
        )

    def live_estimate(self, pixels: NDArray[np.uint8], ppi: int) -> int:
        """A rough 0..100 for a preview frame (250 ppi, or 500 ppi which is halved first)."""
        estimate = self._model.predict_live(live_measures(pixels, ppi))
        return int(np.clip(np.rint(estimate), 0, 100))


def _score_guidance(feedback: tuple[Feedback, ...]) -> Message:
    return feedback[0].message if feedback else Message("finger.nfiq.low")

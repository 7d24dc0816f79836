"""Fingerprint quality aligned with NIST NFIQ 2 (ISO/IEC 29794-4): native features computed in numpy and
OpenCV, a 0-100 score from our own trained model, and actionable feedback for the operator.

    fq = FingerQuality()
    assessment = fq.assess(pixels, ppi=500, min_score=30)

Nothing in this package writes images or features to disk.
"""

from kitd.quality.finger.assessment import FingerAssessment, FingerQuality
from kitd.quality.finger.errors import FingerprintImageError
from kitd.quality.finger.feedback import Feedback

__all__ = ["Feedback", "FingerAssessment", "FingerQuality", "FingerprintImageError"]

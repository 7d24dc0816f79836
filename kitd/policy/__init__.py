"""Document policies as versioned data: what a visit for a document and an age must capture.

Policies are TOML files (profiles/ in this package, plus any folder named in the configuration),
validated when the daemon starts; code never hard-codes a document rule.
"""

from kitd.policy.loader import PolicyError, PolicySet, load_policies, load_policy
from kitd.policy.model import (
    CertificatePhotoPolicy,
    EligibilityPolicy,
    ExceptionKind,
    ExceptionRule,
    FacePolicy,
    FingerName,
    FingerPolicy,
    Hand,
    OverridePolicy,
    Policy,
    RequestFiler,
    SignaturePolicy,
    VisitPlace,
    WaiverReason,
    finger_position,
)

__all__ = [
    "CertificatePhotoPolicy",
    "EligibilityPolicy",
    "ExceptionKind",
    "ExceptionRule",
    "FacePolicy",
    "FingerName",
    "FingerPolicy",
    "Hand",
    "OverridePolicy",
    "Policy",
    "PolicyError",
    "PolicySet",
    "RequestFiler",
    "SignaturePolicy",
    "VisitPlace",
    "WaiverReason",
    "finger_position",
    "load_policies",
    "load_policy",
]

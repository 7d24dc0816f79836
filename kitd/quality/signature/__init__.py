"""Signature results: the PNG rendered from the pen stream and the sanity checks on the strokes.

Pure computation on pen samples: no device access, no I/O, no gRPC.
"""

from kitd.quality.signature.assessment import SignatureAssessment, assess_signature
from kitd.quality.signature.checks import run_checks
from kitd.quality.signature.render import encode_png, render_signature
from kitd.quality.signature.strokes import Ink, ink_from_samples
from kitd.quality.signature.thresholds import SignatureThresholds

__all__ = [
    "Ink",
    "SignatureAssessment",
    "SignatureThresholds",
    "assess_signature",
    "encode_png",
    "ink_from_samples",
    "render_signature",
    "run_checks",
]

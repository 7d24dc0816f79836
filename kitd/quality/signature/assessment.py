"""One call for the capture flow: samples in; the rendered PNG, the checks and a 0..100 quality out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from hal.signpad.base import PadInfo, PenSample
from kitd.quality.check import CheckResult
from kitd.quality.signature.checks import run_checks
from kitd.quality.signature.render import encode_png, render_signature
from kitd.quality.signature.strokes import ink_from_samples
from kitd.quality.signature.thresholds import SignatureThresholds


@dataclass(frozen=True)
class SignatureAssessment:
    """A signature's rendered PNG and image, its checks and a 0-100 quality."""

    png: bytes = field(repr=False)
    image: NDArray[np.uint8] = field(repr=False)
    checks: tuple[CheckResult, ...]
    # Mean of the checks' qualities; 0 when there is no ink at all.
    quality: int

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def assess_signature(
    samples: Sequence[PenSample],
    pad: PadInfo,
    thresholds: SignatureThresholds | None = None,
    *,
    width: int = 900,
    height: int = 300,
) -> SignatureAssessment:
    """A signature's checks, rendered image (PNG) and 0-100 quality from its pen samples."""
    ink = ink_from_samples(samples, pad)
    checks = run_checks(ink, thresholds or SignatureThresholds())
    image = render_signature(ink, width, height)
    quality = 0 if ink.ink_samples == 0 else round(sum(c.quality for c in checks) / len(checks))
    return SignatureAssessment(encode_png(image), image, checks, quality)

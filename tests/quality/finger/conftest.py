"""Fixtures for the finger quality tests: one assessor for the session and a generated print."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from ridge_prints import PrintSpec, ridge_print

from kitd.quality.finger import FingerQuality


@pytest.fixture(scope="session")
def quality() -> FingerQuality:
    return FingerQuality()


@pytest.fixture(scope="session")
def good_print() -> NDArray[np.uint8]:
    """A print with about as many minutiae as a real flat finger."""
    return ridge_print(PrintSpec(extra_minutiae=36))

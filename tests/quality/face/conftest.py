"""Fixtures for the face pipeline: one assessor for the session and a real public-domain portrait.

The portrait is scikit-image's bundled astronaut photo (NASA, public domain), so unit tests run without
the reference data.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from kitd.quality.face import FaceAssessment, FaceAssessor


@pytest.fixture(scope="session")
def assessor() -> FaceAssessor:
    return FaceAssessor()


@pytest.fixture(scope="session")
def astronaut() -> NDArray[np.uint8]:
    skimage_data = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR))


@pytest.fixture(scope="session")
def astronaut_assessment(assessor: FaceAssessor, astronaut: NDArray[np.uint8]) -> FaceAssessment:
    return assessor.assess(astronaut)


@pytest.fixture(scope="session")
def mesh_points(assessor: FaceAssessor, astronaut: NDArray[np.uint8]) -> NDArray[np.float32]:
    """The astronaut's 468 x 3 mesh points (with depth), in image pixels."""
    points = assessor.locate(astronaut).points
    assert points is not None
    return points

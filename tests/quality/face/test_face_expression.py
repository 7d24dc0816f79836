"""expression_neutral on the camera simulator's faces turned by up to 10 degrees and nodded by up to 12:
the relaxed face passes and the closed-mouth smile fails in every pose."""

from __future__ import annotations

import pytest

from kitd.quality.face import FaceAssessor, FaceCheck
from kitsim.camera.scene import Scene, render

# Up to twice the pose limits: the smile index undoes the nod and reads 3D lengths, so a pose
# that the yaw and pitch checks refuse must not also read as a smile or hide one.
TURNS = [(0.0, 0.0), (0.0, -12.0), (0.0, 12.0), (10.0, 0.0), (10.0, -12.0), (10.0, 12.0)]


@pytest.mark.parametrize(("yaw", "pitch"), TURNS)
def test_the_relaxed_face_passes_expression_neutral_in_any_pose(
    assessor: FaceAssessor, yaw: float, pitch: float
) -> None:
    assessment = assessor.assess(render(Scene(builtin="neutral", yaw=yaw, pitch=pitch)))
    assert assessment.check(FaceCheck.EXPRESSION_NEUTRAL).passed


@pytest.mark.parametrize(("yaw", "pitch"), TURNS)
def test_the_closed_mouth_smile_fails_expression_neutral_in_any_pose(
    assessor: FaceAssessor, yaw: float, pitch: float
) -> None:
    assessment = assessor.assess(render(Scene(builtin="closed_smile", yaw=yaw, pitch=pitch)))
    assert not assessment.check(FaceCheck.EXPRESSION_NEUTRAL).passed
    assert assessment.check(FaceCheck.MOUTH_CLOSED).passed

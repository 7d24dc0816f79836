"""The yaw and pitch limits on the reference portraits: they never fire on a face that both independent
readings of the angle put within ±5° (nor on one that either reading puts there), and they do fire on
the faces that both put beyond 5° the same way (docs/quality-face.md, Head pose)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kitd.quality.face import FaceAssessor
from kitd.quality.face.checks import pose

pytestmark = [pytest.mark.reference, pytest.mark.timeout(600)]

LIMIT = 5.0


def readings(
    shared_data: Path, assessor: FaceAssessor
) -> list[tuple[str, str, float, float, bool]]:
    """(portrait, check, first reading, second reading, fired) for yaw and pitch of every portrait
    with a mesh."""
    rows = []
    for path in sorted((shared_data / "faces" / "meds").glob("*.jpg")):
        image = cv2.imread(str(path))
        if image is None:
            continue
        bgr = np.asarray(image, dtype=np.uint8)
        points = assessor.locate(bgr).points
        if points is None:
            continue
        head = pose.head_pose(points, bgr.shape[1], bgr.shape[0])
        assessment = assessor.assess(bgr)
        for check, first, second in (
            ("yaw", head.yaw_depth, head.yaw_symmetry),
            ("pitch", head.pitch, head.pitch_depth),
        ):
            rows.append((path.name, check, first, second, not assessment.check(check).passed))
    return rows


def test_pose_limits_fire_only_where_both_readings_put_the_face_beyond_them(
    shared_data: Path, assessor: FaceAssessor
) -> None:
    rows = readings(shared_data, assessor)
    assert len(rows) >= 2 * 50
    both_within = [r for r in rows if abs(r[2]) <= LIMIT and abs(r[3]) <= LIMIT]
    either_within = [r for r in rows if abs(r[2]) <= LIMIT or abs(r[3]) <= LIMIT]
    beyond_alike = [
        r for r in rows if min(abs(r[2]), abs(r[3])) > LIMIT and np.sign(r[2]) == np.sign(r[3])
    ]
    # Most visible faces are near frontal by both readings, and some mugshots are plainly turned.
    assert len(both_within) >= 40
    assert len(beyond_alike) >= 10
    assert [r[:2] for r in both_within if r[4]] == []
    assert [r[:2] for r in either_within if r[4]] == []
    assert [r[:2] for r in beyond_alike if not r[4]] == []

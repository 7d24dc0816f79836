"""Checks the daemon runs before it serves, so that a broken install stops the start, not a visit.

Each check says what it verifies and raises a typed error naming what is wrong; `kitd serve` turns
those errors into exit code 2 with the message.
"""

from __future__ import annotations

from kitd.quality.face.models import FaceModel, load_net


def check_face_models() -> None:
    """Every face model is installed, has its recorded SHA-256 and loads in this OpenCV release.

    Raises FaceModelMissing or FaceModelUnsupported (both FaceModelError), naming the model.
    """
    for model in FaceModel:
        load_net(model)

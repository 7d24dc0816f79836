"""ICAO face-photo quality: detection and landmarks through OpenCV DNN, every face check of the API's
vocabulary (docs/quality-face.md), operator guidance, landmark smoothing for live use, and the Belgian
35 x 45 mm crop.

Pure computation on images in memory: nothing here opens a device, writes a file or keeps a frame.
"""

from kitd.quality.face.assessment import FaceAssessment, FaceAssessor
from kitd.quality.face.crop import PassportPhoto, crop_passport_photo
from kitd.quality.face.models import FaceModelError, FaceModelMissing
from kitd.quality.face.smoothing import LandmarkSmoother
from kitd.quality.face.thresholds import FaceThresholds, Limits
from kitd.quality.face.tracking import FaceTracker
from kitd.quality.face.vocabulary import FaceCheck

__all__ = [
    "FaceAssessment",
    "FaceAssessor",
    "FaceCheck",
    "FaceModelError",
    "FaceModelMissing",
    "FaceThresholds",
    "FaceTracker",
    "LandmarkSmoother",
    "Limits",
    "PassportPhoto",
    "crop_passport_photo",
]

"""The ICAO face assessment: one BGR image in, every check of the vocabulary out, with operator guidance.

`FaceAssessor` loads the models once; `assess` detects on a copy no larger than 640 px, fits the mesh to
the largest face, measures every check (geometry in the input image's pixels, light and colour on the
small copy, blockiness on the original pixel grid) and judges them against the thresholds. It is
pure computation: it must never write images anywhere, keep frames, or touch a device. One assessor
per thread (OpenCV networks are not re-entrant).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.locale.message import Message
from kitd.quality.check import CheckResult, all_passed
from kitd.quality.face import mesh as mesh_points
from kitd.quality.face.checks import appearance, background, geometry, image, photometry, pose
from kitd.quality.face.detection import Detection, FaceDetector
from kitd.quality.face.judgement import judge, judge_compression, judge_sharpness
from kitd.quality.face.mesh import MIN_FACE_SCORE, FaceMesh
from kitd.quality.face.models import FaceModel, load_net
from kitd.quality.face.regions import face_regions
from kitd.quality.face.smoothing import LandmarkSmoother
from kitd.quality.face.thresholds import FaceThresholds
from kitd.quality.face.tracking import FaceTracker
from kitd.quality.face.vocabulary import FaceCheck

WORKING_SIZE = 640
# The face is brought to this inter-eye distance (or left smaller) before measuring sharpness.
SHARPNESS_EYE_DISTANCE = 48.0


@dataclass(frozen=True)
class BlurMeasures:
    """The focus and motion-blur readings of a face image."""

    focus: float
    motion: float


@dataclass(frozen=True)
class FaceAssessment:
    """The ICAO assessment of one image: the face found, every check, and guidance."""

    face_count: int
    # x, y, w, h of the assessed face's detector box in input-image pixels.
    face_box: tuple[int, int, int, int] | None
    # 468 x 2 mesh points in input-image pixels (smoothed when a smoother was given).
    landmarks: NDArray[np.float32] | None
    # One result per vocabulary id, in vocabulary order.
    checks: tuple[CheckResult, ...]
    # Operator advice for the failed checks, most important first.
    guidance: tuple[Message, ...]
    # Input size (width, height).
    image_size: tuple[int, int]
    # The sharpness check's two measures (None without a face): the focus of the sharpest direction
    # and the motion smear. The sharpness result reports the one that decided.
    blur: BlurMeasures | None = None

    @property
    def compliant(self) -> bool:
        return all_passed(self.checks)

    def check(self, check: FaceCheck | str) -> CheckResult:
        wanted = FaceCheck(check).value
        return next(result for result in self.checks if result.id == wanted)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(result.id for result in self.checks if not result.passed)


@dataclass(frozen=True)
class FaceLocation:
    """Where the face is in an image: detections, the largest face's box and its mesh."""

    # Detections on the working copy, largest first.
    detections: list[Detection]
    # The largest face's detector box in input pixels.
    box: tuple[int, int, int, int] | None
    # 468 x 3 mesh points in input pixels (z in the same scale), None when the mesh saw no face.
    points: NDArray[np.float32] | None
    small: NDArray[np.uint8]
    factor: float


def unmeasured(check: FaceCheck) -> CheckResult:
    """A check that cannot be measured without a face: failed, no advice of its own."""
    return CheckResult(id=check.value, value=math.nan, threshold=math.nan, passed=False, quality=0)


def working_copy(
    bgr: NDArray[np.uint8], size: int = WORKING_SIZE
) -> tuple[NDArray[np.uint8], float]:
    """The image shrunk so its longer side is at most `size`, and the factor applied."""
    h, w = bgr.shape[:2]
    factor = min(1.0, size / max(h, w))
    if factor >= 1.0:
        return bgr, 1.0
    small = np.asarray(
        cv2.resize(bgr, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA),
        dtype=np.uint8,
    )
    return small, factor


def box_around(
    points: NDArray[np.float64], shape: tuple[int, int], grid: int = 1
) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the points' bounding box clipped to the image, x0/y0 on a multiple of `grid`."""
    x0 = max(0, int(points[:, 0].min()) // grid * grid)
    y0 = max(0, int(points[:, 1].min()) // grid * grid)
    x1 = min(shape[1], math.ceil(float(points[:, 0].max())))
    y1 = min(shape[0], math.ceil(float(points[:, 1].max())))
    return x0, y0, x1, y1


def sharpness_patch(
    grey: NDArray[np.uint8], points: NDArray[np.float64], eye_distance: float
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """The face's box cut from `grey` and its outline's mask, both shrunk to SHARPNESS_EYE_DISTANCE
    between the eyes (never enlarged: that would invent softness); `points` in `grey`'s pixels.
    """
    outline = points[list(mesh_points.FACE_OVAL)]
    x0, y0, x1, y1 = box_around(outline, (grey.shape[0], grey.shape[1]))
    patch = grey[y0:y1, x0:x1]
    mask = np.zeros(patch.shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(outline - [x0, y0]).astype(np.int32).reshape(-1, 1, 2)], 255)
    shrink = min(1.0, SHARPNESS_EYE_DISTANCE / max(eye_distance, 1.0))
    if shrink < 1.0 and patch.size:
        patch = np.asarray(
            cv2.resize(patch, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA),
            dtype=np.uint8,
        )
        mask = np.asarray(
            cv2.resize(mask, (patch.shape[1], patch.shape[0]), interpolation=cv2.INTER_NEAREST),
            dtype=np.uint8,
        )
    return patch, mask


# Each mesh point's lightness is the mean over this fraction of the inter-eye distance around it.
LIGHT_SPREAD = 0.15


def light_balance(
    small: NDArray[np.uint8],
    points: NDArray[np.float64],
    skin: NDArray[np.uint8],
    eye_distance: float,
) -> float:
    """illumination_uniformity on the face's box only (the L* conversion is the costly part)."""
    x0, y0, x1, y1 = box_around(
        points[list(mesh_points.FACE_OVAL)], (small.shape[0], small.shape[1])
    )
    if x1 <= x0 or y1 <= y0:
        return math.nan
    lightness = photometry.lightness(small[y0:y1, x0:x1], LIGHT_SPREAD * eye_distance)
    return photometry.illumination_uniformity(lightness, points - [x0, y0], skin[y0:y1, x0:x1])


class FaceAssessor:
    """The ICAO face assessment with its models loaded; one per thread."""

    def __init__(
        self, thresholds: FaceThresholds | None = None, model_folder: Path | None = None
    ) -> None:
        """Loads and verifies the models (FaceModelMissing names any that is absent)."""
        self.thresholds = thresholds or FaceThresholds()
        self._detector = FaceDetector(load_net(FaceModel.DETECTOR, model_folder))
        self._mesh = FaceMesh(load_net(FaceModel.MESH, model_folder))

    def detect(self, bgr: NDArray[np.uint8]) -> tuple[list[Detection], NDArray[np.uint8], float]:
        """Faces on the working copy (largest first), the copy and its scale factor."""
        small, factor = working_copy(bgr)
        found = self._detector.detect(small)
        return sorted(found, key=lambda d: -d.area), small, factor

    def locate(self, bgr: NDArray[np.uint8], tracker: FaceTracker | None = None) -> FaceLocation:
        """Faces, and the mesh of the largest one when the mesh confirms it is a face.

        With a tracker (live streams), the detector runs only when the tracker asks for it; otherwise
        the mesh is fitted where the previous frame's mesh was.
        """
        region: Detection | None = None
        if tracker is not None and not tracker.wants_detection():
            small, factor = working_copy(bgr)
            detections = tracker.detections
            region = tracker.tracked_detection()
        if region is None:
            detections, small, factor = self.detect(bgr)
            if tracker is not None:
                tracker.detected(detections)
            region = detections[0] if detections else None
        if region is None:
            if tracker is not None:
                tracker.fitted(None)
            return FaceLocation([], None, None, small, factor)
        fit = self._mesh.fit(small, region)
        found = fit.score >= MIN_FACE_SCORE
        if tracker is not None:
            tracker.fitted(fit.points if found else None)
        x, y, w, h = (v / factor for v in region.box)
        box = (round(x), round(y), round(w), round(h))
        points = (fit.points / factor).astype(np.float32) if found else None
        return FaceLocation(detections, box, points, small, factor)

    def assess(
        self,
        bgr: NDArray[np.uint8],
        smoother: LandmarkSmoother | None = None,
        tracker: FaceTracker | None = None,
        jpeg_quality: float = math.nan,
    ) -> FaceAssessment:
        """`jpeg_quality`: the IJG quality of the JPEG file the image was decoded from
        (checks.jpeg.jpeg_quality), when there was one; compression also judges it.
        """
        if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
            raise ValueError(f"expected an H x W x 3 uint8 BGR image, got {bgr.dtype} {bgr.shape}")
        height, width = bgr.shape[:2]
        location = self.locate(bgr, tracker)
        count = len(location.detections)
        box = location.box
        points = location.points
        if points is not None and smoother is not None:
            points = smoother.smooth(points)
        if smoother is not None and points is None:
            smoother.reset()

        values = {FaceCheck.SINGLE_FACE: float(count)}
        blur: BlurMeasures | None = None
        if points is not None:
            measured, blur = self.measure(bgr, location.small, location.factor, points)
            values.update(measured)
        results = tuple(
            self.sharpness_result(blur)
            if check is FaceCheck.SHARPNESS and blur is not None
            else judge_compression(
                values[check],
                jpeg_quality,
                self.thresholds.compression,
                self.thresholds.jpeg_quality,
            )
            if check is FaceCheck.COMPRESSION and check in values
            else judge(check, values[check], self.thresholds.limits(check))
            if check in values
            else unmeasured(check)
            for check in FaceCheck
        )
        guidance = tuple(
            dict.fromkeys(r.guidance for r in results if not r.passed and r.guidance is not None)
        )
        landmarks = None if points is None else points[:, :2].copy()
        return FaceAssessment(count, box, landmarks, results, guidance, (width, height), blur)

    def sharpness_result(self, blur: BlurMeasures) -> CheckResult:
        return judge_sharpness(
            blur.focus, blur.motion, self.thresholds.sharpness, self.thresholds.motion
        )

    def measure(
        self,
        bgr: NDArray[np.uint8],
        small: NDArray[np.uint8],
        factor: float,
        points: NDArray[np.float32],
    ) -> tuple[dict[FaceCheck, float], BlurMeasures]:
        """Native values of every check except single_face and sharpness, and the two blur measures, for
        a face with mesh `points` (input pixels).
        """
        height, width = bgr.shape[:2]
        frame = geometry.head_frame(points)
        roll = geometry.roll_degrees(frame)
        unrolled = geometry.unrolled(points, roll)
        head = pose.head_pose(points, width, height)

        small_points = np.asarray(points[:, :2], dtype=np.float64) * factor
        grey = np.asarray(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
        regions = face_regions(grey.shape[:2], small_points, frame.crown * factor)
        skin_grey = photometry.masked(grey, regions.skin)
        skin_bgr = photometry.masked(small, regions.skin)

        # Sharpness on the face (inside its outline) brought to a fixed inter-eye distance.
        face_grey, face_mask = sharpness_patch(
            grey, small_points, frame.inter_eye_distance * factor
        )

        # Blockiness on the input's own pixel grid, over the face.
        full_points = np.asarray(points[list(mesh_points.FACE_OVAL), :2], dtype=np.float64)
        bx0, by0, bx1, by1 = box_around(full_points, (height, width), grid=image.BLOCK)
        face_full_grey = np.asarray(
            cv2.cvtColor(bgr[by0:by1, bx0:bx1], cv2.COLOR_BGR2GRAY), dtype=np.uint8
        )

        directional = image.directional_sharpness(face_grey, face_mask)
        blur = BlurMeasures(image.focus(directional), image.motion_smear(directional))
        values = {
            FaceCheck.HEAD_FULLY_VISIBLE: geometry.head_fully_visible(frame, width, height),
            FaceCheck.EYES_VISIBLE: appearance.eyes_visible(
                photometry.masked(grey, regions.right_eye),
                photometry.masked(grey, regions.left_eye),
                skin_grey,
            ),
            FaceCheck.INTER_EYE_DISTANCE: geometry.frontal_eye_distance(frame, head.yaw),
            FaceCheck.ROLL: roll,
            # Judged on what two independent readings agree on (pose.agreed_turn).
            FaceCheck.YAW: pose.agreed_turn(head.yaw_depth, head.yaw_symmetry),
            FaceCheck.PITCH: pose.agreed_turn(head.pitch, head.pitch_depth),
            FaceCheck.EYES_CENTERED: geometry.eyes_centered(frame, width),
            FaceCheck.EYE_LINE_HEIGHT: geometry.eye_line_height(frame, height),
            FaceCheck.HEAD_SIZE: geometry.head_size(frame, height),
            FaceCheck.UNDER_EXPOSURE: photometry.under_exposure(
                photometry.masked(grey, regions.bare_skin)
            ),
            FaceCheck.OVER_EXPOSURE: photometry.over_exposure(skin_bgr),
            FaceCheck.LUMINANCE: photometry.luminance(skin_bgr),
            FaceCheck.DYNAMIC_RANGE: photometry.dynamic_range(skin_grey),
            FaceCheck.ILLUMINATION_UNIFORMITY: light_balance(
                small, small_points, regions.skin, frame.inter_eye_distance * factor
            ),
            # A plain backdrop's mean colour needs few pixels: every fourth row and column.
            FaceCheck.NATURAL_COLOUR: photometry.natural_colour(
                skin_bgr, photometry.masked(small[::4, ::4], regions.background[::4, ::4])
            ),
            FaceCheck.BACKGROUND_UNIFORMITY: background.backdrop_clutter(small, regions.background),
            FaceCheck.COMPRESSION: image.blockiness(face_full_grey),
            FaceCheck.EYES_OPEN: appearance.eyes_open(points),
            FaceCheck.MOUTH_CLOSED: appearance.mouth_opening(points),
            FaceCheck.EXPRESSION_NEUTRAL: appearance.smile_index(unrolled, head.pitch),
            FaceCheck.HEAD_COVERING: appearance.forehead_difference(
                photometry.masked(small, regions.forehead), photometry.masked(small, regions.cheeks)
            ),
        }
        return values, blur

"""The face check vocabulary (docs/api.md, "Check vocabulary") and what to tell the operator when a
check fails.

Advice is a message id (`face.<check>.too_low` / `.too_high`, texts in kitd/locale/catalogs).

The ids are the API's, the CLI's and the package's; their order here is the order of importance used to
rank guidance (a missing face matters more than a slightly soft image). This module is data only: it must
never measure or decide anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kitd.locale.message import Message


class FaceCheck(StrEnum):
    """The face check ids of the API's vocabulary."""

    SINGLE_FACE = "single_face"
    HEAD_FULLY_VISIBLE = "head_fully_visible"
    EYES_VISIBLE = "eyes_visible"
    INTER_EYE_DISTANCE = "inter_eye_distance"
    ROLL = "roll"
    YAW = "yaw"
    PITCH = "pitch"
    EYES_CENTERED = "eyes_centered"
    EYE_LINE_HEIGHT = "eye_line_height"
    HEAD_SIZE = "head_size"
    UNDER_EXPOSURE = "under_exposure"
    OVER_EXPOSURE = "over_exposure"
    LUMINANCE = "luminance"
    DYNAMIC_RANGE = "dynamic_range"
    ILLUMINATION_UNIFORMITY = "illumination_uniformity"
    NATURAL_COLOUR = "natural_colour"
    BACKGROUND_UNIFORMITY = "background_uniformity"
    SHARPNESS = "sharpness"
    COMPRESSION = "compression"
    EYES_OPEN = "eyes_open"
    MOUTH_CLOSED = "mouth_closed"
    EXPRESSION_NEUTRAL = "expression_neutral"
    HEAD_COVERING = "head_covering"


@dataclass(frozen=True)
class Advice:
    """What to tell the operator when a check's value is below or above its limit."""

    # Said when the native value is below the lower limit / above the upper limit.
    too_low: Message | None
    too_high: Message | None


def _advice(check: str, *, low: bool, high: bool) -> Advice:
    return Advice(
        Message(f"face.{check}.too_low") if low else None,
        Message(f"face.{check}.too_high") if high else None,
    )


# Directions follow the conventions of the measures (kitd.quality.face.checks): positive roll leans the
# head to the person's left shoulder, positive yaw turns the face to the person's left, positive pitch
# lifts the chin; "left/right of the picture" is as the operator sees the screen.
ADVICE: dict[FaceCheck, Advice] = {
    FaceCheck.SINGLE_FACE: _advice(FaceCheck.SINGLE_FACE, low=True, high=True),
    FaceCheck.HEAD_FULLY_VISIBLE: _advice(FaceCheck.HEAD_FULLY_VISIBLE, low=True, high=False),
    FaceCheck.EYES_VISIBLE: _advice(FaceCheck.EYES_VISIBLE, low=True, high=False),
    FaceCheck.INTER_EYE_DISTANCE: _advice(FaceCheck.INTER_EYE_DISTANCE, low=True, high=False),
    FaceCheck.ROLL: _advice(FaceCheck.ROLL, low=True, high=True),
    FaceCheck.YAW: _advice(FaceCheck.YAW, low=True, high=True),
    FaceCheck.PITCH: _advice(FaceCheck.PITCH, low=True, high=True),
    FaceCheck.EYES_CENTERED: _advice(FaceCheck.EYES_CENTERED, low=True, high=True),
    FaceCheck.EYE_LINE_HEIGHT: _advice(FaceCheck.EYE_LINE_HEIGHT, low=True, high=True),
    FaceCheck.HEAD_SIZE: _advice(FaceCheck.HEAD_SIZE, low=True, high=True),
    FaceCheck.UNDER_EXPOSURE: _advice(FaceCheck.UNDER_EXPOSURE, low=False, high=True),
    FaceCheck.OVER_EXPOSURE: _advice(FaceCheck.OVER_EXPOSURE, low=False, high=True),
    FaceCheck.LUMINANCE: _advice(FaceCheck.LUMINANCE, low=True, high=True),
    FaceCheck.DYNAMIC_RANGE: _advice(FaceCheck.DYNAMIC_RANGE, low=True, high=False),
    FaceCheck.ILLUMINATION_UNIFORMITY: _advice(
        FaceCheck.ILLUMINATION_UNIFORMITY, low=True, high=False
    ),
    FaceCheck.BACKGROUND_UNIFORMITY: _advice(FaceCheck.BACKGROUND_UNIFORMITY, low=False, high=True),
    FaceCheck.SHARPNESS: _advice(FaceCheck.SHARPNESS, low=True, high=False),
    FaceCheck.COMPRESSION: _advice(FaceCheck.COMPRESSION, low=False, high=True),
    FaceCheck.EYES_OPEN: _advice(FaceCheck.EYES_OPEN, low=True, high=False),
    FaceCheck.MOUTH_CLOSED: _advice(FaceCheck.MOUTH_CLOSED, low=False, high=True),
    FaceCheck.EXPRESSION_NEUTRAL: _advice(FaceCheck.EXPRESSION_NEUTRAL, low=False, high=True),
    FaceCheck.HEAD_COVERING: _advice(FaceCheck.HEAD_COVERING, low=False, high=True),
    # One text either way: the colour cast has no direction the operator could act on.
    FaceCheck.NATURAL_COLOUR: Advice(
        Message("face.natural_colour.unnatural"), Message("face.natural_colour.unnatural")
    ),
}

# The sharpness check's second measure, motion smear: said instead of the focus advice when the picture
# is smeared in one direction (the kit or the person moved during the exposure).
MOTION_ADVICE = Advice(None, Message("face.sharpness.motion"))

# The compression check's second measure, a JPEG file's quality setting: said when it is too low.
JPEG_QUALITY_ADVICE = Advice(Message("face.compression.jpeg_quality"), None)

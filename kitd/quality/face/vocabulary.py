"""The face check vocabulary (DESIGN.md §6) and what to tell the operator when a check fails.

The ids are the API's, the CLI's and the package's; their order here is the order of importance used to
rank guidance (a missing face matters more than a slightly soft image). This module is data only: it must
never measure or decide anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FaceCheck(StrEnum):
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
    # Said when the native value is below the lower limit / above the upper limit.
    too_low: str
    too_high: str


# Directions follow the conventions of the measures (kitd.quality.face.checks): positive roll leans the
# head to the person's left shoulder, positive yaw turns the face to the person's left, positive pitch
# lifts the chin; "left/right of the picture" is as the operator sees the screen.
ADVICE: dict[FaceCheck, Advice] = {
    FaceCheck.SINGLE_FACE: Advice(
        "no face found: ask the person to face the camera",
        "more than one face in view: only the applicant may be in the picture",
    ),
    FaceCheck.HEAD_FULLY_VISIBLE: Advice(
        "head cut off: move the camera so the whole head, with a margin, is in the picture", ""
    ),
    FaceCheck.EYES_VISIBLE: Advice(
        "eyes not clearly visible: remove glasses, hair or hands from the eyes", ""
    ),
    FaceCheck.INTER_EYE_DISTANCE: Advice(
        "face too small: move the camera closer to the person", ""
    ),
    FaceCheck.ROLL: Advice(
        "head tilted: ask the person to straighten the head (it leans to their right shoulder)",
        "head tilted: ask the person to straighten the head (it leans to their left shoulder)",
    ),
    FaceCheck.YAW: Advice(
        "head turned: ask the person to turn the head a little to their left, towards the camera",
        "head turned: ask the person to turn the head a little to their right, towards the camera",
    ),
    FaceCheck.PITCH: Advice(
        "chin down: ask the person to lift the chin a little",
        "chin up: ask the person to lower the chin a little",
    ),
    FaceCheck.EYES_CENTERED: Advice(
        "face too far to the left of the picture: move the camera a little to the left",
        "face too far to the right of the picture: move the camera a little to the right",
    ),
    FaceCheck.EYE_LINE_HEIGHT: Advice(
        "eyes too high in the picture: raise the camera a little",
        "eyes too low in the picture: lower the camera a little",
    ),
    FaceCheck.HEAD_SIZE: Advice(
        "head too small in the picture: move the camera closer",
        "head too large in the picture: move the camera back",
    ),
    FaceCheck.UNDER_EXPOSURE: Advice("", "face too dark in places: switch on the lamp"),
    FaceCheck.OVER_EXPOSURE: Advice(
        "", "face burnt out in places: dim the lamp or turn the person away from the window"
    ),
    FaceCheck.LUMINANCE: Advice(
        "too dark: switch on the lamp", "too bright: dim the lamp or move away from the window"
    ),
    FaceCheck.DYNAMIC_RANGE: Advice("flat, low-contrast image: add light on the face", ""),
    FaceCheck.ILLUMINATION_UNIFORMITY: Advice(
        "uneven light on the face: light both sides equally (turn the person towards the lamp)", ""
    ),
    FaceCheck.NATURAL_COLOUR: Advice(
        "unnatural colours: switch off coloured light and use the kit's lamp",
        "unnatural colours: switch off coloured light and use the kit's lamp",
    ),
    FaceCheck.BACKGROUND_UNIFORMITY: Advice(
        "", "background not plain: use the screen behind the person"
    ),
    FaceCheck.SHARPNESS: Advice("image out of focus: let the camera focus on the face", ""),
    FaceCheck.COMPRESSION: Advice("", "image too compressed: check the camera's quality setting"),
    FaceCheck.EYES_OPEN: Advice("eyes closed: ask the person to open the eyes", ""),
    FaceCheck.MOUTH_CLOSED: Advice("", "mouth open: ask the person to close the mouth"),
    FaceCheck.EXPRESSION_NEUTRAL: Advice(
        "", "not a neutral expression: ask the person not to smile"
    ),
    FaceCheck.HEAD_COVERING: Advice(
        "",
        "forehead covered: ask the person to take off the hat or cap (religious or medical reasons excepted)",
    ),
}

# The sharpness check's second measure, motion smear: said instead of the focus advice when the picture
# is smeared in one direction (the kit or the person moved during the exposure).
MOTION_ADVICE = Advice(
    "", "image smeared by movement: hold the kit still and ask the person not to move"
)

# The compression check's second measure, a JPEG file's quality setting: said when it is too low.
JPEG_QUALITY_ADVICE = Advice(
    "image saved with too strong JPEG compression: save or send it at a higher quality", ""
)

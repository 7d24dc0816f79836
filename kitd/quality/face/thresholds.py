"""The limits each face check applies, as data: defaults from ICAO 9303 / ISO 19794-5, overridable by the policy.

A `Limits` gives the accepted native range (either end may be open) and a `scale` in native units that
spreads the 0-100 quality component around the limits. The policy file carries overrides as a plain
mapping `{check_id: {"min": ..., "max": ..., "scale": ...}}`. This module must never measure images.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from kitd.quality.face.vocabulary import FaceCheck


@dataclass(frozen=True)
class Limits:
    """The allowed range of one face check's native value, with its quality mapping."""

    min: float | None = None
    max: float | None = None
    # Native units over which the quality component moves from about 27 to 73 around a limit.
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError(f"scale must be positive, got {self.scale}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")


@dataclass(frozen=True)
class FaceThresholds:
    """The limits of every face check, each named after the requirement it stands for."""

    # Each limit says which requirement it stands for: a number from ICAO 9303 Part 3 / ISO/IEC 39794-5
    # (the portrait's geometry and pose) or BSI TR-03121, kept as the standard gives it; or a
    # qualitative requirement ("no shadows", "in focus", ...), whose number was set by cross-validation
    # on portraits of other people (scripts/eval-face, the value set on all folds; docs/quality-face.md
    # has the held-out figures and the spread over folds). Those carry "calibrated" below.

    # ISO/IEC 39794-5: exactly one face. A count (the bounds sit between whole numbers).
    single_face: Limits = Limits(0.5, 1.5, 0.1)
    # ICAO 9303 / ISO/IEC 39794-5: the whole head, crown to chin and both ears, in the picture.
    # Fraction (0..1) of the estimated head box inside the image.
    head_fully_visible: Limits = Limits(0.99, None, 0.01)
    # ISO/IEC 39794-5: eyes visible, no tinted lenses, hair or hands over them. Calibrated.
    # Grey-level spread in the eye regions relative to the face's brightness.
    eyes_visible: Limits = Limits(0.0239, None, 0.01)
    # ICAO 9303 / ISO/IEC 39794-5: at least 90 px between the eye centres (120 recommended; BSI
    # TR-03121 asks more of the capture device). Pixels in the input image.
    inter_eye_distance: Limits = Limits(90, None, 15)
    # ISO/IEC 39794-5 frontal pose, degrees: roll ±8 (±5 recommended), yaw and pitch ±5.
    roll: Limits = Limits(-8, 8, 2)
    yaw: Limits = Limits(-5, 5, 2)
    pitch: Limits = Limits(-5, 5, 2)
    # ICAO 9303 / ISO/IEC 39794-5 full-frontal geometry: eye midpoint at 45-55 % of the width and
    # 30-50 % of the height from the top.
    eyes_centered: Limits = Limits(0.45, 0.55, 0.02)
    eye_line_height: Limits = Limits(0.30, 0.50, 0.03)
    # ICAO 9303: chin to crown 70-80 % of the height; Belgium 31-36 mm of 45 mm is 69-80 %.
    head_size: Limits = Limits(0.70, 0.80, 0.03)
    # ISO/IEC 39794-5: no crushed shadows on the face. Fraction of the bare face skin (no beard, hair,
    # nostrils or eye sockets) that is nearly black. Design value: a quarter of it (on the reference
    # portraits luminance and dynamic_range catch every gain-0.25 copy first, so the calibration keeps it).
    under_exposure: Limits = Limits(None, 0.25, 0.05)
    # ISO/IEC 39794-5: no burnt-out areas on the face. Fraction of the face skin with a colour channel
    # burnt out (above 245). Design value: an eighth of it. Well-lit reference faces' highlights burn
    # out at most 0.072; one person's flash-lit photos (0.35-0.53) decide any limit set on the visible
    # portraits, so the data are too few to calibrate it (docs/quality-face.md).
    over_exposure: Limits = Limits(None, 0.125, 0.03)
    # ISO/IEC 39794-5: appropriate brightness. Calibrated. Mean lightness L* (0-100, CIELAB) of the
    # face skin.
    luminance: Limits = Limits(8.94, 74.5, 5)
    # ISO/IEC 39794-5: enough contrast on the face (BSI TR-03121: at least 7 bits of intensity
    # variation in the face). Calibrated. Grey levels between the 1st and 99th percentile of the face.
    dynamic_range: Limits = Limits(59, None, 15)
    # ICAO 9303 / ISO/IEC 39794-5: even light, no shadows across the face. Calibrated. Mean L* of the
    # darker side's outer skin over the brighter side's, at mirrored mesh points (1 = even).
    illumination_uniformity: Limits = Limits(0.49, None, 0.06)
    # ICAO 9303 / ISO/IEC 39794-5: natural skin tones, no colour cast. Calibrated. CIELAB departure
    # from natural colours (0 = natural): the mean face skin outside the skin ranges (a* 5-25, b* 5-35),
    # or the backdrop's departure from grey (in log-chromaticity, scaled to CIELAB chroma at mid-grey)
    # beyond that of a neutral or pale wall.
    natural_colour: Limits = Limits(None, 13.1, 1.5)
    # ICAO 9303 / ISO/IEC 39794-5: a plain, uniform background. Calibrated. Share (0..1) of the
    # backdrop beside and above the head whose colour departs from the wall's smooth colour model.
    background_uniformity: Limits = Limits(None, 0.3903, 0.05)
    # ICAO 9303 / ISO/IEC 39794-5: in focus, no motion blur. Calibrated. Focus: re-blur sharpness of
    # the sharpest direction over the face inside its outline (0 = flat), at 48 px between the eyes.
    sharpness: Limits = Limits(0.5304, None, 0.04)
    # The sharpness check's second limit, motion smear: sharpness difference between crossing directions
    # (0 = even).
    # Calibrated.
    sharpness_motion: Limits = Limits(None, 0.1149, 0.03)
    # ISO/IEC 39794-5: no visible compression artefacts. Calibrated. JPEG blockiness: edge strength on
    # 8x8 block borders over that inside blocks (1 = none).
    compression: Limits = Limits(None, 3.12, 0.3)
    # The compression check's second limit, for a JPEG file: the IJG quality of its luminance table. At
    # 50 the table is ITU-T T.81 Annex K's, built from the thresholds of visibility; below it the steps
    # are coarser than visible. Design value.
    compression_jpeg_quality: Limits = Limits(50, None, 10)
    # ISO/IEC 39794-5: eyes open. Lid gap over eye width, the more closed eye.
    eyes_open: Limits = Limits(0.15, None, 0.04)
    # ISO/IEC 39794-5: mouth closed. Inner lip gap over mouth width.
    mouth_closed: Limits = Limits(None, 0.12, 0.04)
    # ICAO 9303 / ISO/IEC 39794-5: neutral expression, no smile. Mouth width plus twice the corners'
    # lift, over the eye distance (checks.appearance.smile_index). Design value: relaxed faces read
    # 0.81 ± 0.06, so 1.0 is three spreads above them; a closed-mouth smile reads 1.2 and more.
    expression_neutral: Limits = Limits(None, 1.0, 0.05)
    # ICAO 9303: no head covering (religious or medical reasons excepted). Colour difference (CIE76 ΔE)
    # between the forehead and the cheeks.
    head_covering: Limits = Limits(None, 35.0, 6.0)

    def limits(self, check: FaceCheck) -> Limits:
        value: Limits = getattr(self, check.value)
        return value

    @property
    def motion(self) -> Limits:
        """The sharpness check's motion-smear limit."""
        return self.sharpness_motion

    @property
    def jpeg_quality(self) -> Limits:
        """The compression check's limit on a JPEG file's quality setting."""
        return self.compression_jpeg_quality

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Any]]) -> FaceThresholds:
        """Defaults with the given overrides; unknown check ids or keys are errors, not ignored.

        Keys are check ids, plus `sharpness_motion` (the sharpness check's motion-smear limit) and
        `compression_jpeg_quality` (the compression check's limit on a JPEG file's quality).
        """
        known = {f.name for f in fields(cls)}
        updates: dict[str, Limits] = {}
        base = cls()
        for check_id, override in data.items():
            if check_id not in known:
                raise ValueError(f"unknown face check {check_id!r}")
            unknown = set(override) - {"min", "max", "scale"}
            if unknown:
                raise ValueError(f"{check_id}: unknown keys {sorted(unknown)}")
            current: Limits = getattr(base, check_id)
            merged: dict[str, float | None] = {
                "min": current.min,
                "max": current.max,
                **{key: None if value is None else float(value) for key, value in override.items()},
            }
            scale = merged.get("scale", current.scale)
            updates[check_id] = Limits(
                merged["min"], merged["max"], current.scale if scale is None else scale
            )
        return replace(base, **updates)

    def to_dict(self) -> dict[str, dict[str, float | None]]:
        return {
            f.name: {
                "min": getattr(self, f.name).min,
                "max": getattr(self, f.name).max,
                "scale": getattr(self, f.name).scale,
            }
            for f in fields(self)
        }

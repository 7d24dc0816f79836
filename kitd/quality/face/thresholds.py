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
    # A count of faces: exactly one (the bounds sit between whole numbers).
    single_face: Limits = Limits(0.5, 1.5, 0.1)
    # Fraction (0..1) of the estimated head box (crown to chin, ear to ear) inside the image.
    head_fully_visible: Limits = Limits(0.99, None, 0.01)
    # Grey-level spread in the eye regions relative to the face's brightness.
    eyes_visible: Limits = Limits(0.12, None, 0.04)
    # Pixels between the eye centres, in the input image. ICAO minimum 90, 120 recommended.
    inter_eye_distance: Limits = Limits(90, None, 15)
    # Degrees. ICAO: roll ±8 (±5 recommended), yaw and pitch ±5.
    roll: Limits = Limits(-8, 8, 2)
    yaw: Limits = Limits(-5, 5, 2)
    pitch: Limits = Limits(-5, 5, 2)
    # Eye midpoint as a fraction of the width / of the height from the top.
    eyes_centered: Limits = Limits(0.45, 0.55, 0.02)
    eye_line_height: Limits = Limits(0.30, 0.50, 0.03)
    # Chin to crown as a fraction of the height. ICAO 70-80 %; Belgium 31-36 mm of 45 mm is 69-80 %.
    head_size: Limits = Limits(0.70, 0.80, 0.03)
    # Fractions of the face skin that are nearly black / nearly white.
    under_exposure: Limits = Limits(None, 0.05, 0.03)
    over_exposure: Limits = Limits(None, 0.05, 0.03)
    # Mean grey level (0-255) of the face skin.
    luminance: Limits = Limits(70, 210, 15)
    # Grey levels between the 1st and 99th percentile of the face.
    dynamic_range: Limits = Limits(60, None, 15)
    # Darker over brighter half of the face, mean grey level ratio (1 = even).
    illumination_uniformity: Limits = Limits(0.72, None, 0.06)
    # The weaker of the skin's redness and yellowness, min(a*, b*) in CIELAB: skin of every tone has
    # both; blue, green and cyan casts take one away.
    natural_colour: Limits = Limits(5, 40, 3)
    # Mean departure of the background around the head from its smooth version, grey levels.
    background_uniformity: Limits = Limits(None, 6.0, 1.5)
    # 1 - blur estimate of the face (0 = flat, about 0.25-0.5 for real portraits), at a fixed face scale.
    sharpness: Limits = Limits(0.22, None, 0.04)
    # JPEG blockiness: edge strength on 8x8 block borders over that inside blocks (1 = none).
    compression: Limits = Limits(None, 1.5, 0.2)
    # Lid gap over eye width, the more closed eye.
    eyes_open: Limits = Limits(0.15, None, 0.04)
    # Inner lip gap over mouth width.
    mouth_closed: Limits = Limits(None, 0.12, 0.04)
    # Mouth corners above the lip centre, over the inter-eye distance (a smile lifts them).
    expression_neutral: Limits = Limits(None, 0.10, 0.04)
    # Colour difference (CIE76 ΔE) between the forehead and the cheeks.
    head_covering: Limits = Limits(None, 35.0, 6.0)

    def limits(self, check: FaceCheck) -> Limits:
        value: Limits = getattr(self, check.value)
        return value

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Any]]) -> FaceThresholds:
        """Defaults with the given overrides; unknown check ids or keys are errors, not ignored."""
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

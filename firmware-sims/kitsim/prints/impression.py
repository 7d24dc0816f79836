"""Impressions: what the sensor sees when a finger is put down once, rendered from its master print.

Each placement gets its own position, rotation, small elastic distortion, contact area (pressure,
partial contact), skin condition (dryness breaks and thins ridges, wetness thickens and merges them),
smudges and noise. One `quality` knob (0 bad .. 1 excellent) sets every condition that is not given
explicitly. The result is the clean frame; per-frame sensor noise is added by the firmware. Work here is
per placement and must stay in the tens of milliseconds; the expensive part is the cached master. This
module must never import the daemon (kitd, hal).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from kitsim.prints.master import CANVAS_H, CANVAS_W, MasterPrint

SENSOR_W = 400
SENSOR_H = 500
BACKGROUND = 238.0


@dataclass(frozen=True)
class Placement:
    """How one finger is put on the glass; None means "derive from quality"."""

    quality: float = 0.8
    dx: float | None = None
    dy: float | None = None
    rotation: float | None = None  # degrees, clockwise
    pressure: float | None = None  # 0 light .. 1 hard; 0.5 nominal
    dryness: float | None = None
    wetness: float | None = None
    smudge: float | None = None
    noise: float | None = None
    partial: float | None = None  # share of the contact that misses the glass
    seed: int = 0

    @classmethod
    def from_args(cls, args: dict[str, Any], seed: int) -> Placement:
        values: dict[str, Any] = {"seed": seed}
        for name in (
            "quality",
            "dx",
            "dy",
            "rotation",
            "pressure",
            "dryness",
            "wetness",
            "smudge",
            "noise",
            "partial",
        ):
            if args.get(name) is not None:
                values[name] = float(args[name])
        placement = cls(**values)
        if not 0.0 <= placement.quality <= 1.0:
            raise ValueError(f"quality must be within 0..1, got {placement.quality}")
        return placement


@dataclass(frozen=True)
class Conditions:
    """The resolved rendering conditions of one impression."""

    dx: float
    dy: float
    rotation: float
    pressure: float
    dryness: float
    wetness: float
    smudge: float
    noise: float
    partial: float
    contrast: float
    distortion: float


def resolve(placement: Placement, rng: np.random.Generator) -> Conditions:
    """One impression's conditions: those the placement gives, the rest drawn from its quality."""
    q = min(1.0, max(0.0, placement.quality))
    bad = 1.0 - q

    def pick(value: float | None, derived: float) -> float:
        return float(value) if value is not None else float(derived)

    return Conditions(
        dx=pick(placement.dx, rng.normal(0, 8 + 30 * bad)),
        dy=pick(placement.dy, rng.normal(0, 10 + 30 * bad)),
        rotation=pick(placement.rotation, rng.normal(0, 3 + 10 * bad)),
        pressure=pick(placement.pressure, 0.5 + rng.normal(0, 0.05)),
        dryness=pick(placement.dryness, max(0.0, 0.85 * bad**1.3 + rng.normal(0, 0.03))),
        wetness=pick(placement.wetness, 0.0),
        smudge=pick(placement.smudge, max(0.0, 1.1 * (bad - 0.45))),
        noise=pick(placement.noise, 0.05 + 0.7 * bad**1.5),
        partial=pick(placement.partial, max(0.0, 0.55 * (bad - 0.3))),
        contrast=0.35 + 0.65 * q,
        distortion=2.0 + 4.0 * bad,
    )


def _smooth_field(rng: np.random.Generator, cells: tuple[int, int]) -> NDArray[np.float32]:
    coarse = rng.uniform(-1, 1, cells).astype(np.float32)
    return np.asarray(
        cv2.resize(coarse, (SENSOR_W, SENSOR_H), interpolation=cv2.INTER_CUBIC), np.float32
    )


def _sample_maps(
    conditions: Conditions, rng: np.random.Generator
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Where each sensor pixel looks in the master: rotation, shift and a small elastic warp."""
    y, x = np.mgrid[0:SENSOR_H, 0:SENSOR_W].astype(np.float32)
    angle = np.deg2rad(conditions.rotation)
    cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    u = x - SENSOR_W / 2 - np.float32(conditions.dx)
    v = y - SENSOR_H / 2 - np.float32(conditions.dy)
    map_x = cos * u + sin * v + CANVAS_W / 2
    map_y = -sin * u + cos * v + CANVAS_H / 2
    amplitude = np.float32(conditions.distortion)
    map_x += amplitude * _smooth_field(rng, (4, 3))
    map_y += amplitude * _smooth_field(rng, (4, 3))
    return map_x.astype(np.float32), map_y.astype(np.float32)


def _contact(
    master: MasterPrint,
    maps: tuple[NDArray[np.float32], NDArray[np.float32]],
    conditions: Conditions,
    rng: np.random.Generator,
) -> NDArray[np.float32]:
    radius = cv2.remap(
        master.contact_radius,
        maps[0],
        maps[1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=9.0,
    )
    # Pressing harder flattens more skin onto the glass; the edge wavers a little.
    edge = 0.78 + 0.32 * conditions.pressure + 0.04 * _smooth_field(rng, (6, 5))
    contact = np.clip((edge - radius) / 0.05, 0.0, 1.0)
    if conditions.partial > 0:
        # Part of the finger misses the glass: a straight cut from a random side.
        direction = rng.uniform(0, 2 * np.pi)
        y, x = np.mgrid[0:SENSOR_H, 0:SENSOR_W].astype(np.float32)
        along = np.cos(direction) * (x - SENSOR_W / 2) + np.sin(direction) * (y - SENSOR_H / 2)
        inside = along[contact > 0.5]
        if inside.size:
            cut = np.quantile(inside, 1.0 - min(0.95, conditions.partial))
            contact *= np.clip((cut - along) / 6.0, 0.0, 1.0)
    return np.asarray(contact, np.float32)


def render(master: MasterPrint, placement: Placement) -> NDArray[np.uint8]:
    """The clean 400 x 500 frame of one placement of `master`."""
    rng = np.random.default_rng(placement.seed)
    c = resolve(placement, rng)
    maps = _sample_maps(c, rng)
    ridges = cv2.remap(
        master.ridges, maps[0], maps[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    contact = _contact(master, maps, c, rng)
    # Ink: where the skin's ridges touch the glass. Pressure and wetness lower the level at which a
    # ridge prints (thicker ridges, valleys closing); dryness raises it (thin, broken ridges).
    level = 0.25 * c.dryness - 0.35 * c.wetness - 0.3 * (c.pressure - 0.5)
    ink = 1.0 / (1.0 + np.exp(-(ridges - level) / 0.18))
    if c.dryness > 0:
        patches = _smooth_field(rng, (28, 22))
        ink *= np.clip(1.0 - c.dryness * 1.6 * np.clip(patches + 0.1, 0, 1), 0.0, 1.0)
    if c.wetness > 0:
        ink = np.maximum(ink, c.wetness * cv2.GaussianBlur(ink, (0, 0), 3.0))
    if c.smudge > 0:
        blurred = cv2.GaussianBlur(ink, (0, 0), 4.0)
        centre = (rng.uniform(120, 280), rng.uniform(150, 350))
        y, x = np.mgrid[0:SENSOR_H, 0:SENSOR_W].astype(np.float32)
        size = 60 + 140 * min(1.0, c.smudge)
        blot = np.exp(-((x - centre[0]) ** 2 + (y - centre[1]) ** 2) / (2 * size**2))
        blot = np.clip(blot * 1.5 * min(1.0, c.smudge * 1.5), 0, 1)
        ink = (1 - blot) * ink + blot * np.clip(blurred + 0.35, 0, 1)
    depth = 200.0 * c.contrast
    shading = 1.0 + 0.08 * _smooth_field(rng, (3, 3))
    image = BACKGROUND - depth * ink * contact * shading
    image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), 0.7)
    image += rng.normal(0, 1.0 + 28.0 * c.noise, image.shape).astype(np.float32)
    return np.asarray(np.clip(np.rint(image), 0, 255), np.uint8)


def load_image(path: Path) -> NDArray[np.uint8]:
    """An image file (taken at 500 ppi) fitted into the sensor window: centred, cropped or padded white."""
    grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise ValueError(f"cannot read {path} as an image")
    frame = np.full((SENSOR_H, SENSOR_W), int(BACKGROUND), np.uint8)
    h, w = grey.shape
    sy, sx = max(0, (h - SENSOR_H) // 2), max(0, (w - SENSOR_W) // 2)
    crop = grey[sy : sy + SENSOR_H, sx : sx + SENSOR_W]
    oy, ox = (SENSOR_H - crop.shape[0]) // 2, (SENSOR_W - crop.shape[1]) // 2
    frame[oy : oy + crop.shape[0], ox : ox + crop.shape[1]] = crop
    return frame

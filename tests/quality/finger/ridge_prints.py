"""A small fingerprint generator for the finger quality tests.

It draws ridges as the cosine of a phase field (period 9 px, the middle of the 500 ppi range):
a gently curved flow plus "spiral" phase terms, each of which ends or splits one ridge where it is
centred, so the print has minutiae at known places. Unit tests make all their images with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

PERIOD = 9.0


@dataclass(frozen=True)
class PrintSpec:
    width: int = 400
    height: int = 500
    period: float = PERIOD
    curvature: float = 0.0015  # bends the ridges into gentle arcs
    minutiae: tuple[tuple[int, int], ...] = ((150, 200), (250, 300), (200, 380), (260, 160))
    extra_minutiae: int = 0  # more minutiae at seeded random places inside the finger
    finger: bool = True  # an elliptic finger on a white platen; False fills the whole frame


def ridge_print(spec: PrintSpec = PrintSpec()) -> NDArray[np.uint8]:
    y, x = np.mgrid[0 : spec.height, 0 : spec.width].astype(np.float64)
    cx, cy = spec.width / 2, spec.height / 2
    phase = (x + spec.curvature * (y - cy) ** 2) / spec.period
    places = list(spec.minutiae)
    rng = np.random.default_rng(7)
    while len(places) < len(spec.minutiae) + spec.extra_minutiae:
        px, py = rng.uniform(0.2, 0.8) * spec.width, rng.uniform(0.15, 0.85) * spec.height
        if all(np.hypot(px - qx, py - qy) > 30 for qx, qy in places):
            places.append((int(px), int(py)))
    for i, (mx, my) in enumerate(places):
        phase += (1 if i % 2 == 0 else -1) * np.arctan2(y - my, x - mx) / (2 * np.pi)
    ridges = 0.5 + 0.5 * np.cos(2 * np.pi * phase)  # 1 in valleys, 0 on ridge centres
    image = 40.0 + 190.0 * ridges
    if spec.finger:
        inside = ((x - cx) / (0.42 * spec.width)) ** 2 + ((y - cy) / (0.45 * spec.height)) ** 2 <= 1
        edge = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), 3)
        image = edge * image + (1 - edge) * 250.0
    return np.asarray(np.clip(np.rint(image), 0, 255), dtype=np.uint8)

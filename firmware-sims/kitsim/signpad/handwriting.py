"""A handwriting generator: plausible cursive, name-like signatures as stroke scripts.

The pen follows coupled oscillations (Hollerbach's model of cursive writing): a steady rightward drift plus
a horizontal and a vertical oscillation, one cycle per letter. Letter shape changes the vertical amplitude
(ascenders, descenders, capitals) and the phase between the two oscillations (loops or arches). An
initial, the surname written as one or two connected strokes, i-dots, t-crosses and an occasional
underline flourish make it look like a signature rather than a sine wave. Pressure follows the pen speed
(slower is heavier) and ramps in and out of every stroke. The same name and seed give the same signature.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

ASCENDERS = set("bdfhklt")
DESCENDERS = set("gjpqyz")
STEP_MS = 5.0


def _rng(name: str, seed: int | None) -> np.random.Generator:
    if seed is None:
        seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return np.random.default_rng(seed)


def _cursive(
    letters: str, rng: np.random.Generator, start_ms: float, x0: float
) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """One connected stroke through `letters`: (n, 3) t_ms, x, y in 'x-height' units; and letter marks."""
    period = rng.uniform(170.0, 230.0)  # ms per letter
    drift = rng.uniform(0.6, 0.8)  # x-heights per letter
    slant = rng.uniform(0.15, 0.4)
    points: list[tuple[float, float, float]] = []
    marks: list[tuple[str, float, float]] = []
    t_ms = start_ms
    for index, letter in enumerate(letters):
        lower = letter.lower()
        up = 1.0
        down = 0.0
        if letter.isupper():
            up, down = rng.uniform(2.2, 2.8), rng.uniform(0.2, 0.5)
        elif lower in ASCENDERS:
            up = rng.uniform(1.9, 2.4)
        elif lower in DESCENDERS:
            down = rng.uniform(1.2, 1.6)
        # Loops for ascenders/descenders, arches for the rest.
        phase = rng.uniform(1.2, 1.7) if (up > 1.5 or down > 0.6) else rng.uniform(0.3, 0.7)
        ax = rng.uniform(0.28, 0.42) * (1.3 if letter.isupper() else 1.0)
        steps = max(8, int(period / STEP_MS))
        for k in range(steps):
            theta = 2.0 * math.pi * k / steps
            s = math.sin(theta - math.pi / 2.0)  # starts at the bottom of the letter
            height = 0.5 * (1 + s)
            y = height * (up if s >= 0 or up > 1 else 1.0) - (down * max(0.0, -s) * 2.0)
            base_x = x0 + drift * (index + k / steps)
            x = base_x - ax * math.sin(theta + phase) + slant * y
            points.append((t_ms, x, y + rng.normal(0.0, 0.01)))
            t_ms += period / steps
        if lower in ("i", "j"):
            marks.append(("dot", x0 + drift * (index + 0.5) + slant * 1.6, 1.7))
        if lower == "t":
            marks.append(("cross", x0 + drift * (index + 0.5) + slant * 1.4, 1.4))
    return np.asarray(points), marks


def generate_signature(name: str, seed: int | None = None) -> dict[str, Any]:
    """A stroke script (normalised units) for a signature of `name`."""
    rng = _rng(name, seed)
    words = [
        w for w in "".join(c if c.isalpha() or c.isspace() else " " for c in name).split() if w
    ]
    if not words:
        words = ["Signature"]
    surname = words[-1]
    initials = "".join(w[0].upper() for w in words[:-1])
    raw_strokes: list[np.ndarray] = []
    marks: list[tuple[str, float, float]] = []
    t_ms = 0.0
    x = 0.0
    for initial in initials:
        stroke, _ = _cursive(initial, rng, t_ms, x)
        raw_strokes.append(stroke)
        t_ms = stroke[-1, 0] + rng.uniform(180.0, 320.0)
        x = stroke[:, 1].max() + rng.uniform(0.6, 1.0)
    # Long surnames are often written in two connected parts.
    cut = len(surname) if len(surname) < 7 or rng.random() < 0.5 else len(surname) // 2
    for part in (surname[:cut], surname[cut:]):
        if not part:
            continue
        stroke, part_marks = _cursive(part, rng, t_ms, x)
        raw_strokes.append(stroke)
        marks.extend(part_marks)
        t_ms = stroke[-1, 0] + rng.uniform(90.0, 200.0)
        x = stroke[-1, 1] + rng.uniform(0.1, 0.3)
    for kind, mx, my in marks:
        t_ms += rng.uniform(120.0, 250.0)
        length = 0.08 if kind == "dot" else rng.uniform(0.7, 1.0)
        n = max(3, int((60.0 if kind == "dot" else 140.0) / STEP_MS))
        xs = np.linspace(mx - length / 2, mx + length / 2, n)
        ys = np.full(n, my) + np.linspace(0.0, -0.05, n)
        ts = t_ms + np.arange(n) * STEP_MS
        raw_strokes.append(np.column_stack([ts, xs, ys]))
        t_ms = ts[-1]
    if rng.random() < 0.5:
        # An underline flourish from right to left.
        all_x = np.concatenate([s[:, 1] for s in raw_strokes])
        t_ms += rng.uniform(150.0, 300.0)
        n = int(rng.uniform(250.0, 400.0) / STEP_MS)
        u = np.linspace(0.0, 1.0, n)
        xs = all_x.max() - u * (all_x.max() - all_x.min()) * rng.uniform(0.7, 1.0)
        ys = -0.6 - 0.3 * np.sin(u * math.pi) * rng.uniform(0.2, 0.6)
        raw_strokes.append(np.column_stack([t_ms + np.arange(n) * STEP_MS, xs, ys]))
    return _normalise(raw_strokes, rng)


def _normalise(raw_strokes: list[np.ndarray], rng: np.random.Generator) -> dict[str, Any]:
    """Fits the strokes into the pad's box (y grows downwards) and adds pressure."""
    all_points = np.concatenate(raw_strokes)
    x_min, x_max = all_points[:, 1].min(), all_points[:, 1].max()
    y_min, y_max = all_points[:, 2].min(), all_points[:, 2].max()
    scale = min(0.84 / max(x_max - x_min, 1e-6), 0.6 / max(y_max - y_min, 1e-6))
    x_off = 0.08 + (0.84 - (x_max - x_min) * scale) * rng.uniform(0.0, 1.0)
    y_off = 0.2 + (0.6 - (y_max - y_min) * scale) * 0.5
    base = rng.uniform(0.45, 0.65)
    strokes = []
    for stroke in raw_strokes:
        t = stroke[:, 0]
        x = x_off + (stroke[:, 1] - x_min) * scale
        y = y_off + (y_max - stroke[:, 2]) * scale
        speed = np.hypot(np.gradient(x), np.gradient(y))
        speed = speed / (speed.max() + 1e-9)
        ramp = np.minimum(1.0, np.minimum(t - t[0], t[-1] - t) / 40.0 + 0.15)
        pressure = np.clip((base + 0.3 * (1.0 - speed)) * ramp, 0.05, 1.0)
        points = np.column_stack([t, x, y, pressure])
        strokes.append({"points": [[round(float(v), 4) for v in row] for row in points]})
    return {"strokes": strokes}

"""Temporal smoothing of face landmarks for live guidance: a One Euro filter per coordinate.

Still faces get heavy smoothing (no jitter in the guidance); moving faces get little (no lag). The
filter forgets its state when the face jumps (another person, a cut), so it never blends two faces.
One smoother belongs to one preview stream; it must never be shared between streams or threads.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


class LandmarkSmoother:
    """A One Euro filter over landmark positions, steadying live guidance between frames."""

    def __init__(
        self,
        min_cutoff_hz: float = 1.0,
        beta: float = 0.05,
        derivative_cutoff_hz: float = 1.0,
        frame_rate_hz: float = 30.0,
        jump_fraction: float = 0.5,
    ) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.derivative_cutoff_hz = derivative_cutoff_hz
        self.frame_rate_hz = frame_rate_hz
        # A move of the face centre by more than this fraction of the face size counts as a jump.
        self.jump_fraction = jump_fraction
        self._value: NDArray[np.float64] | None = None
        self._speed: NDArray[np.float64] | None = None
        self._time: float | None = None

    def reset(self) -> None:
        self._value = None
        self._speed = None
        self._time = None

    @staticmethod
    def _alpha(cutoff_hz: NDArray[np.float64] | float, dt: float) -> NDArray[np.float64]:
        tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz, dtype=np.float64))
        result: NDArray[np.float64] = 1.0 / (1.0 + tau / dt)
        return result

    def _jumped(self, points: NDArray[np.float64]) -> bool:
        assert self._value is not None
        if self._value.shape != points.shape:
            return True
        size = float(np.ptp(points[:, 0]) + np.ptp(points[:, 1])) / 2.0
        moved = float(np.linalg.norm(points[:, :2].mean(axis=0) - self._value[:, :2].mean(axis=0)))
        return moved > self.jump_fraction * max(size, 1.0)

    def smooth(
        self, points: NDArray[np.float32], timestamp: float | None = None
    ) -> NDArray[np.float32]:
        """The smoothed points; `timestamp` in seconds (monotonic), or one frame period per call."""
        current = np.asarray(points, dtype=np.float64)
        if self._value is None or self._jumped(current):
            self._value, self._speed, self._time = current, np.zeros_like(current), timestamp
            return current.astype(np.float32)
        if timestamp is None or self._time is None:
            dt = 1.0 / self.frame_rate_hz
        else:
            dt = max(timestamp - self._time, 1e-3)
        self._time = timestamp
        assert self._speed is not None
        speed = (current - self._value) / dt
        a_d = self._alpha(self.derivative_cutoff_hz, dt)
        self._speed = a_d * speed + (1.0 - a_d) * self._speed
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self._speed)
        a = self._alpha(cutoff, dt)
        self._value = a * current + (1.0 - a) * self._value
        return self._value.astype(np.float32)

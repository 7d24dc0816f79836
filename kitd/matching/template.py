"""A minutiae template: where a print's ridge endings and bifurcations are, and which way they point.

Positions are pixels of the capture (origin top-left, x to the right, y down) at `ppi`; angles are
radians counter-clockwise from the x axis as ISO/IEC 19794-2 counts them (y up), in 0..2*pi. A ridge
ending points along its ridge, away from the end; a bifurcation points between its two branches, away
from the stem, so that the same minutia seen as the other kind (ink and pressure turn one into the other)
keeps its direction. Beside the minutiae a template may carry the print's ridge flow
(kitd/matching/ridge_flow.py), which the comparator uses when both templates have it. The template is a
plain value: it is never written to disk by the daemon.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from kitd.matching.ridge_flow import RidgeFlow


class MinutiaKind(enum.IntEnum):
    """A minutia's type, as ISO/IEC 19794-2 codes it."""

    # ISO/IEC 19794-2 minutia type codes (2 bits).
    OTHER = 0
    RIDGE_ENDING = 1
    BIFURCATION = 2


@dataclass(frozen=True)
class Template:
    """A print's minutiae (position, direction, kind, quality), its image size and resolution."""

    width: int
    height: int
    ppi: int
    x: NDArray[np.float32]
    y: NDArray[np.float32]
    angle: NDArray[np.float32]
    kind: NDArray[np.uint8]
    # 0..100 per minutia (ISO/IEC 19794-2 minutia quality).
    quality: NDArray[np.uint8]
    # 0..100 for the whole print, as the quality assessment scored it.
    finger_quality: int = 0
    # The ridge flow, when the template was extracted from pixels or read with it.
    flow: RidgeFlow | None = None

    @property
    def count(self) -> int:
        return int(self.x.size)

    @classmethod
    def of(
        cls,
        width: int,
        height: int,
        ppi: int,
        points: list[tuple[float, float, float, MinutiaKind, int]],
        finger_quality: int = 0,
        *,
        flow: RidgeFlow | None = None,
    ) -> Template:
        """A template from (x, y, angle, kind, quality) tuples."""
        columns = list(zip(*points, strict=True)) if points else [(), (), (), (), ()]
        return cls(
            width,
            height,
            ppi,
            np.asarray(columns[0], np.float32),
            np.asarray(columns[1], np.float32),
            np.mod(np.asarray(columns[2], np.float32), np.float32(2 * np.pi)),
            np.asarray([int(k) for k in columns[3]], np.uint8),
            np.asarray(columns[4], np.uint8),
            finger_quality,
            flow,
        )

    def without_flow(self) -> Template:
        """The same minutiae without the ridge flow (as a record without the flow would carry them)."""
        return replace(self, flow=None)

    def _columns(self) -> tuple[NDArray[np.generic], ...]:
        return (self.x, self.y, self.angle, self.kind, self.quality)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Template):
            return NotImplemented
        same_header = (self.width, self.height, self.ppi, self.finger_quality) == (
            other.width,
            other.height,
            other.ppi,
            other.finger_quality,
        )
        return (
            same_header
            and self.flow == other.flow
            and all(
                np.array_equal(a, b) for a, b in zip(self._columns(), other._columns(), strict=True)
            )
        )

    __hash__ = None  # type: ignore[assignment]

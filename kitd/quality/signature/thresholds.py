"""The limits the signature checks apply; the document policy overrides them by name."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SignatureThresholds:
    """The limits of the signature checks: ink, strokes, box, size and duration."""

    # not_empty: pen-down samples needed to call it a signature at all.
    min_ink_samples: int = 10
    # ink_length: total pen-down path, millimetres.
    min_ink_mm: float = 40.0
    # stroke_count: separate pen-down strokes.
    min_strokes: int = 1
    max_strokes: int = 60
    # duration: first pen-down to last pen-up, seconds.
    min_duration_s: float = 0.3
    max_duration_s: float = 60.0
    # inside_box: share of the ink within `edge_mm` of the pad's border, at most.
    edge_mm: float = 1.0
    max_edge_fraction: float = 0.05
    # not_dot_or_line: the ink must extend this far along and across its main direction, millimetres.
    min_extent_mm: float = 10.0
    min_thickness_mm: float = 3.0
    # samples_dropped: pen time lost to samples the pad reported dropped, milliseconds, at most
    # (50 ms = 10 samples at 200 Hz).
    max_lost_ms: float = 50.0

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SignatureThresholds:
        """Defaults overridden by `values`; an unknown name or a non-number is a ValueError."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        overrides: dict[str, Any] = {}
        for name, value in values.items():
            if name not in fields:
                known = ", ".join(sorted(fields))
                raise ValueError(f"unknown signature threshold {name!r} (known: {known})")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"signature threshold {name} must be a number, not {value!r}")
            default = getattr(cls, name)
            overrides[name] = int(value) if isinstance(default, int) else float(value)
        return dataclasses.replace(cls(), **overrides)

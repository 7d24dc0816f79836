"""What a benchmark reports: named figures with units and optional targets."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Context:
    repo_root: Path
    soak: bool = False

    @property
    def shared_data(self) -> Path:
        return self.repo_root.parent / "shared" / "data"


@dataclass(frozen=True)
class Figure:
    group: str
    name: str
    value: float
    unit: str
    # Target as (comparison, bound): ("<=", 25.0) or (">=", 0.9); None when it is a plain measurement.
    target: tuple[str, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        op, bound = self.target
        return self.value <= bound if op == "<=" else self.value >= bound

    @property
    def target_text(self) -> str:
        return "" if self.target is None else f"{self.target[0]} {self.target[1]:g} {self.unit}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": None
            if self.target is None
            else {"op": self.target[0], "value": self.target[1]},
            "met": self.met,
            **({"extra": self.extra} if self.extra else {}),
        }


def time_ms(fn: Callable[[], object], repeat: int, warmup: int = 2) -> list[float]:
    """Wall times of `repeat` calls in milliseconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return times

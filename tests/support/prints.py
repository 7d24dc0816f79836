"""Templates of the simulator's prints, for the comparator's tests."""

from __future__ import annotations

from typing import Any

from kitd.matching.extraction import extract_template
from kitd.matching.template import Template
from kitsim.prints.impression import Placement, render
from kitsim.prints.master import master_print


def impression(person: str, finger: int, *, seed: int = 0, **placement: float) -> Template:
    """The template of one impression of a simulated person's finger, placed as `placement` says."""
    values: dict[str, Any] = dict(placement)
    return extract_template(render(master_print(person, finger), Placement(seed=seed, **values)))

"""What a soak campaign is to the dispatcher: a name, its options, a run and a verdict."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Result = dict[str, Any]


@dataclass(frozen=True)
class Campaign:
    """One sub-command of `./scripts/soak`."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], Result]
    # True when the figures show a broken promise (the command then exits 1).
    failed: Callable[[Result], bool]
    # What `soak NAME --help` says: the campaign module's docstring.
    description: str = ""


def never_fails(result: Result) -> bool:
    """The verdict of a campaign that only measures."""
    return False

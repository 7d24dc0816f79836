"""Sets of prints on disk: a folder of `<finger>_<impression>.png` files, the FVC layout.

A set is every such file of one folder; a collection is a folder whose subfolders are sets (the FVC "B"
sets side by side). Fingers and impressions are ordered by number when they are numbers, so impression 1
is the first; the first impression is the one a visit enrolls and the FVC impostor pairs use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

PRINT_NAME = re.compile(r"^(?P<finger>[^_/]+)_(?P<impression>[^_/]+)\.png$", re.IGNORECASE)


class PrintFolderError(ValueError):
    """A folder is not a set of prints this evaluation can read; the message names the folder or file."""


@dataclass(frozen=True)
class Impression:
    """One print of a set: which finger, which impression, and its file."""

    finger: str
    impression: str
    path: Path

    def pixels(self) -> NDArray[np.uint8]:
        """The 8-bit grey image; PrintFolderError when the file is not an image."""
        image = cv2.imread(str(self.path), cv2.IMREAD_GRAYSCALE)
        if image is None or image.size == 0:
            raise PrintFolderError(f"{self.path}: not a readable image")
        return np.ascontiguousarray(image, dtype=np.uint8)


@dataclass(frozen=True)
class PrintSet:
    """The prints of one folder, finger by finger, each finger's impressions in order."""

    name: str
    fingers: tuple[tuple[Impression, ...], ...]

    @property
    def impressions(self) -> tuple[Impression, ...]:
        """Every print, finger after finger: the order the scores are indexed in."""
        return tuple(i for finger in self.fingers for i in finger)


def _order(label: str) -> tuple[int, int | str]:
    # Numbers by value (2 before 10), anything else after them by name.
    return (0, int(label)) if label.isdigit() else (1, label)


def is_print_set(folder: Path) -> bool:
    """Whether `folder` holds prints named as a print set's are."""
    return folder.is_dir() and any(PRINT_NAME.match(p.name) for p in folder.iterdir())


def read_print_set(
    folder: Path, *, fingers: int | None = None, impressions: int | None = None
) -> PrintSet:
    """The set in `folder`; only its first `fingers` fingers and `impressions` impressions if given.

    Every finger needs at least two impressions (a genuine pair) and there must be two fingers (an
    impostor pair); anything else is a PrintFolderError. Images are read later, one at a time.
    """
    if not folder.is_dir():
        raise PrintFolderError(f"{folder}: not a folder")
    found: dict[str, list[Impression]] = {}
    for path in folder.iterdir():
        named = PRINT_NAME.match(path.name)
        if named and path.is_file():
            finger = named["finger"]
            found.setdefault(finger, []).append(Impression(finger, named["impression"], path))
    chosen = sorted(found, key=_order)[:fingers]
    ordered = tuple(
        tuple(sorted(found[f], key=lambda i: _order(i.impression))[:impressions]) for f in chosen
    )
    if len(ordered) < 2:
        raise PrintFolderError(
            f"{folder}: needs prints of at least 2 fingers named <finger>_<impression>.png, "
            f"found {len(ordered)}"
        )
    short = [f[0].finger for f in ordered if len(f) < 2]
    if short:
        raise PrintFolderError(f"{folder}: fingers with a single impression: {', '.join(short)}")
    return PrintSet(folder.name, ordered)


def print_sets(
    root: Path, *, fingers: int | None = None, impressions: int | None = None
) -> list[PrintSet]:
    """Every set among the subfolders of `root` (by name), or `root` itself when it is a set."""
    if is_print_set(root):
        return [read_print_set(root, fingers=fingers, impressions=impressions)]
    if not root.is_dir():
        raise PrintFolderError(f"{root}: not a folder")
    sets = [
        read_print_set(folder, fingers=fingers, impressions=impressions)
        for folder in sorted(root.iterdir())
        if is_print_set(folder)
    ]
    if not sets:
        raise PrintFolderError(f"{root}: no subfolder holds <finger>_<impression>.png prints")
    return sets

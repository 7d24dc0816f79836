"""Reads requirements.lock: its pins with their environment markers and hashes. Used by the set-up's
tools (check-env, wheelhouse); it reads only, and never resolves or installs anything."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"

PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\]+))?"
)
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@dataclass
class Pin:
    """One locked package: its canonical name, exact version, marker (None: everywhere) and hashes."""

    name: str
    version: str
    marker: str | None
    hashes: list[str] = field(default_factory=list)

    def applies(self, environment: dict[str, str] | None = None) -> bool:
        """Whether the pin is for this interpreter and platform, or for `environment`'s."""
        return self.marker is None or Marker(self.marker).evaluate(environment)

    def requirement(self) -> str:
        return f"{self.name}=={self.version} " + " ".join(f"--hash=sha256:{h}" for h in self.hashes)


def pins(lock: Path = LOCK) -> list[Pin]:
    """Every entry of the lock, in its order (an entry's hashes follow it on continuation lines)."""
    found: list[Pin] = []
    for line in lock.read_text().splitlines():
        if match := PIN.match(line):
            marker = match["marker"].strip() if match["marker"] else None
            found.append(Pin(str(canonicalize_name(match["name"])), match["version"], marker))
        elif found and (digest := HASH.search(line)):
            found[-1].hashes.append(digest[1])
    return found

"""The console's own fixed texts (labels, buttons, headings) per language, from catalogs/*.json.

Guidance, check advice, step titles and error messages come from the daemon in the operator's
language; only what the console itself says lives here. English is complete and the fallback: a
language or a key a catalog lacks is shown in English.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOGS = Path(__file__).with_name("catalogs")
FALLBACK = "en"


@dataclass(frozen=True)
class Texts:
    """The console's own texts in one language."""

    language: str
    texts: dict[str, str]


@cache
def languages() -> tuple[str, ...]:
    """The languages the console has a catalog for, as their codes."""
    return tuple(sorted(path.stem for path in CATALOGS.glob("*.json")))


@cache
def _load(language: str) -> dict[str, str]:
    data = json.loads((CATALOGS / f"{language}.json").read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in data.items()}


def negotiate(tag: str) -> str:
    """The catalog language for a BCP 47 tag ("fr-BE" -> "fr"), English when there is none."""
    primary = tag.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in languages() else FALLBACK


def texts_for(tag: str) -> Texts:
    """The console's texts for a BCP 47 tag: English, overlaid with the negotiated language."""
    language = negotiate(tag)
    return Texts(language, {**_load(FALLBACK), **_load(language)})

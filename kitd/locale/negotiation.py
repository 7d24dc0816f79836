"""Which catalog serves a requested language: BCP 47 tags and Accept-Language lists, via Babel.

`fr-BE` and `fr_BE` get `fr`, `nl-BE` gets `nl`; a language without a catalog gets English with a note
saying so; an empty request gets the kit's default. Only tags are handled here, never texts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from babel.core import negotiate_locale

# What a language without a catalog falls back to (the API says so: kit.v1 CreateSessionRequest).
FALLBACK = "en"


@dataclass(frozen=True)
class Choice:
    """A negotiated language, and the fallback taken when the one asked for has no catalog."""

    language: str
    # Set when the request named a language without a catalog: "'it' -> 'en'".
    fallback: str = ""


def _normalise(tag: str) -> str:
    return tag.strip().replace("-", "_")


def negotiate(requested: str, available: Collection[str], default: str) -> Choice:
    """The catalog language for one requested tag (empty: `default`)."""
    if not requested.strip():
        return Choice(default)
    match = negotiate_locale([_normalise(requested)], list(available))
    if match is not None:
        # Babel hands back the requested spelling on an exact match ("FR"); the catalogs are lower case.
        return Choice(match.lower())
    return Choice(FALLBACK, f"{requested.strip()!r} -> {FALLBACK!r}")


def accepted_languages(header: str) -> list[str]:
    """The tags of an Accept-Language value, most wanted first (q=0 and "*" dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        tag = tag.strip()
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate_header(header: str, available: Collection[str], default: str) -> str:
    """The catalog language for an Accept-Language value: the first it lists that a catalog serves;
    none of them (or an empty header): `default`.
    """
    tags = [_normalise(tag) for tag in accepted_languages(header)]
    match = negotiate_locale(tags, list(available)) if tags else None
    return match.lower() if match is not None else default

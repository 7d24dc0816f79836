"""Device sources: URL-shaped names that say which driver opens a device over which transport.

    opencv:/dev/kitd-camera?fourcc=MJPG&w=1920&h=1080
    opencv:http://127.0.0.1:8081/stream.mjpg
    kfp1+usb://1d6b:0104?serial=KFP1-0001
    kfp1+sim:unix:/run/kitsim/fingerprint.usb
    framed:/dev/kitd-signpad
    framed:socket://127.0.0.1:7001

The part before the first ':' is the scheme: `driver` or `driver+transport`. Everything after it is the
target, kept verbatim except for a trailing query string, which becomes `options`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

_SCHEME = re.compile(
    r"^(?P<driver>[a-z][a-z0-9]*)(?:\+(?P<transport>[a-z][a-z0-9]*))?:(?P<rest>.+)$"
)


class SourceError(ValueError):
    """A source string that cannot be parsed."""


@dataclass(frozen=True)
class Source:
    """A parsed device source URL: driver, transport, target and options."""

    driver: str
    transport: str
    target: str
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def option(self, name: str, default: str) -> str:
        return self.options.get(name, default)

    def int_option(self, name: str, default: int) -> int:
        value = self.options.get(name)
        if value is None:
            return default
        try:
            return int(value, 0)
        except ValueError as exc:
            raise SourceError(f"{self.text}: option {name}={value!r} is not an integer") from exc

    def __str__(self) -> str:
        return self.text


def parse_source(text: str) -> Source:
    """Splits a source text into scheme, target and options; SourceError when it is not one."""
    match = _SCHEME.match(text.strip())
    if match is None:
        raise SourceError(f"{text!r} is not a device source (expected e.g. 'framed:/dev/ttyACM0')")
    rest = match["rest"]
    options: dict[str, str] = {}
    if "?" in rest:
        rest, query = rest.split("?", 1)
        try:
            options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=True))
        except ValueError as exc:
            raise SourceError(f"{text!r}: malformed options {query!r}") from exc
    if not rest:
        raise SourceError(f"{text!r}: no target after the scheme")
    return Source(
        driver=match["driver"],
        transport=match["transport"] or "",
        target=rest,
        options=options,
        text=text.strip(),
    )

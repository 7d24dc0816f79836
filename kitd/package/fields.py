"""Typed reads of decoded CBOR maps: what a package's header and manifest may hold, checked where the
bytes are decoded, so a crafted item (an integer where a name should be, a list for a map) is a
MalformedPackage at the boundary and never a TypeError in the code that trusts the type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kitd.package.errors import MalformedPackage


def as_map(value: Any, what: str) -> dict[Any, Any]:
    """A CBOR map as a dict; anything else is a MalformedPackage naming `what`."""
    # cbor2 gives a map inside a tag as a FrozenDict, a Mapping but not a dict.
    if not isinstance(value, Mapping):
        raise MalformedPackage(f"{what} is {type(value).__name__}, not a map")
    return dict(value)


def as_list(value: Any, what: str) -> list[Any]:
    """A CBOR array as a list; anything else is a MalformedPackage naming `what`."""
    # cbor2 gives an array inside a tag or a map key as a tuple.
    if not isinstance(value, list | tuple):
        raise MalformedPackage(f"{what} is {type(value).__name__}, not an array")
    return list(value)


def text(doc: dict[Any, Any], key: str, what: str) -> str:
    """A map's text field; a missing or non-text value is a MalformedPackage."""
    value = doc.get(key)
    if not isinstance(value, str):
        raise MalformedPackage(f"{what} field {key!r} is {type(value).__name__}, not text")
    return value


def integer(doc: dict[Any, Any], key: str, what: str) -> int:
    """A map's integer field (true/false is not one); anything else is a MalformedPackage."""
    value = doc.get(key)
    # bool is an int to Python, never to CBOR readers.
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedPackage(f"{what} field {key!r} is {type(value).__name__}, not an integer")
    return value


def boolean(doc: dict[Any, Any], key: str, what: str) -> bool:
    """A map's true/false field; anything else is a MalformedPackage."""
    value = doc.get(key)
    if not isinstance(value, bool):
        raise MalformedPackage(f"{what} field {key!r} is {type(value).__name__}, not true/false")
    return value

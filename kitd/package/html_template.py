"""One way to make HTML from data: `render(template, **values)` escapes every value that is not
itself the result of a `render`. Nothing reaches a page by f-string or concatenation, so a field from
a package (a crafted attempt number, quality or reason) can never become markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from string import Template


class Html(str):
    """Text that is already HTML: made by `render` or `join` only."""

    __slots__ = ()


def render(template: str, **values: object) -> Html:
    """`template` with `$name` placeholders filled: plain values escaped (quotes too), Html as is."""
    escaped = {
        name: value if isinstance(value, Html) else html.escape(str(value), quote=True)
        for name, value in values.items()
    }
    return Html(Template(template).substitute(escaped))


def join(parts: Iterable[Html]) -> Html:
    """Fragments made by `render`, one after the other."""
    return Html("".join(part for part in parts if isinstance(part, Html)))

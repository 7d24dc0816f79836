"""The message catalogs (gettext .po files, one per language) and rendering a Message in a language.

The .po files in `catalogs/` are read with Babel when the daemon starts, not compiled to .mo: they are
small (one visit's vocabulary), reading them takes milliseconds, and so the package carries one form of
each catalog, the one translators edit, with no build step and no compiled output to keep in step.
Rendering never fails a call: an id a language lacks is said in English, and an id no catalog has (a
bug the completeness tests catch) is shown as the id itself.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from kitd.locale.message import Message, Param
from kitd.locale.negotiation import FALLBACK, Choice, negotiate, negotiate_header

# The catalog every other one is checked against, and the one rendering falls back to.
SOURCE = "en"


class CatalogError(Exception):
    """A catalog file cannot be used (unreadable, or a message without text)."""


def placeholders(text: str) -> frozenset[str]:
    """The named {placeholders} of a message text."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def read_catalog(path: Path) -> dict[str, str]:
    """A .po file as {message id: text}."""
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: {exc}") from None
    texts: dict[str, str] = {}
    for entry in catalog:
        if not entry.id:
            continue  # the header
        if not isinstance(entry.id, str) or not isinstance(entry.string, str) or not entry.string:
            raise CatalogError(f"{path}: {entry.id!r} has no text")
        texts[entry.id] = entry.string
    return texts


def builtin_catalog_dir() -> Path:
    """The folder of the message catalogs that ship with kitd."""
    return Path(str(resources.files("kitd.locale") / "catalogs"))


@dataclass(frozen=True)
class Texts:
    """Renders messages in one language."""

    catalogs: Catalogs
    language: str

    def __call__(self, message: Message) -> str:
        return self.catalogs.render(message, self.language)

    def all(self, messages: Iterable[Message]) -> list[str]:
        return [self(m) for m in messages]

    def id(self, message_id: str, /, **params: Param) -> str:
        return self(Message.of(message_id, **params))


class Catalogs:
    """Every language's catalog, by language ("nl", "fr", "de", "en")."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        if SOURCE not in texts:
            raise CatalogError(
                f"no {SOURCE!r} catalog: it is the source every other is checked against"
            )
        self._texts = {language: dict(entries) for language, entries in texts.items()}

    @classmethod
    def load(cls, folder: Path) -> Catalogs:
        return cls({path.stem: read_catalog(path) for path in sorted(folder.glob("*.po"))})

    @classmethod
    @functools.cache
    def builtin(cls) -> Catalogs:
        """The catalogs shipped in the package: read once per process, they never change."""
        return cls.load(builtin_catalog_dir())

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._texts))

    def ids(self, language: str = SOURCE) -> frozenset[str]:
        return frozenset(self._texts[language])

    def text(self, message_id: str, language: str = SOURCE) -> str | None:
        """The raw text (with its placeholders) of an id in a language, None when it has none."""
        return self._texts.get(language, {}).get(message_id)

    def texts(self, language: str) -> Texts:
        return Texts(self, language if language in self._texts else SOURCE)

    def negotiate(self, requested: str, default: str) -> Choice:
        return negotiate(requested, self.languages, default)

    def negotiate_header(self, header: str, default: str) -> str:
        return negotiate_header(header, self.languages, default)

    def render(self, message: Message, language: str) -> str:
        for candidate in (language, SOURCE):
            template = self.text(message.id, candidate)
            if template is None:
                continue
            values = {name: self._value(value, candidate) for name, value in message.params}
            try:
                return template.format_map(values)
            except (KeyError, IndexError, ValueError):
                continue  # a parameter the text wants was not given: try English, then the id
        return message.id

    def _value(self, value: Param, language: str) -> str:
        if isinstance(value, Message):
            return self.render(value, language)
        if isinstance(value, int):  # bool too
            return str(value)
        if isinstance(value, float):
            return format_decimal(value, locale=language if language != FALLBACK else "en")
        return value


def english(message: Message) -> str:
    """The English text of a message: for logs and exception texts, never for a caller's language."""
    return Catalogs.builtin().render(message, SOURCE)

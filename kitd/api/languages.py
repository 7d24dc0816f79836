"""Which language a call is answered in, and the catalogs that render it.

A session's texts use the languages negotiated when it was created (the operator's for guidance and
errors, the citizen's for the pad). A call outside a session (devices, errors before a session exists)
is answered in the language its `accept-language` metadata asks for, else in the kit's default
(kitd.toml `[locale] default`). Negotiation itself is kitd.locale's; this module only reads calls.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc

from kitd.locale.catalogs import Catalogs, Texts
from kitd.session.model import Languages

# The metadata key a caller sets to choose the language of calls outside a session (as in HTTP).
ACCEPT_LANGUAGE = "accept-language"


def _metadata_value(metadata: Iterable[tuple[str, str | bytes]] | None, key: str) -> str:
    for name, value in metadata or ():
        if name.lower() == key:
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return ""


class CallLanguages:
    """The languages of calls and visits, negotiated against the catalogs, and the kit's default."""

    def __init__(self, catalogs: Catalogs, default: str = "en") -> None:
        self.catalogs = catalogs
        self.default = catalogs.negotiate(default, "en").language

    @property
    def languages(self) -> tuple[str, ...]:
        return self.catalogs.languages

    def of_call(self, context: grpc.ServicerContext) -> Texts:
        """The language `accept-language` asks for (or the kit's default)."""
        header = _metadata_value(context.invocation_metadata(), ACCEPT_LANGUAGE)
        return self.catalogs.texts(self.catalogs.negotiate_header(header, self.default))

    def of_language(self, language: str) -> Texts:
        return self.catalogs.texts(language)

    def for_visit(self, operator: str, citizen: str) -> Languages:
        """A new visit's languages from the tags it asked for; each without a catalog falls back."""
        chosen = {
            name: self.catalogs.negotiate(tag, self.default)
            for name, tag in (("operator_language", operator), ("citizen_language", citizen))
        }
        return Languages(
            operator=chosen["operator_language"].language,
            citizen=chosen["citizen_language"].language,
            fallbacks=tuple(f"{name}: {c.fallback}" for name, c in chosen.items() if c.fallback),
        )

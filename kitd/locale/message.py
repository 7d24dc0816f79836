"""A message a person will read, before it has a language: a stable id and named parameters.

The domain (quality checks, sessions, capture flows, errors) produces these; the API layer renders them
in the caller's language (kitd.locale.catalogs). A parameter may itself be a message (a finger's name
inside an instruction), rendered in the same language. This module must never hold or choose texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

Param: TypeAlias = "str | int | float | Message"


@dataclass(frozen=True)
class Message:
    """A text a person reads, as a catalog id and its parameters, rendered in a chosen language."""

    id: str
    # Sorted (name, value) pairs: a message is hashable and compares by value, like the text it becomes.
    params: tuple[tuple[str, Param], ...] = ()

    @classmethod
    def of(cls, message_id: str, /, **params: Param) -> Message:
        return cls(message_id, tuple(sorted(params.items())))

    @property
    def arguments(self) -> Mapping[str, Param]:
        return dict(self.params)

    def ids(self) -> tuple[str, ...]:
        """This message's id and those of the messages among its parameters."""
        nested = (i for _, value in self.params if isinstance(value, Message) for i in value.ids())
        return (self.id, *nested)

"""Typed TOML: builds frozen dataclasses from parsed TOML tables, rejecting what does not fit.

Used for the daemon configuration and the policy files. Every error names the dotted key
(`fingers.min_quality.index`) so a person can fix the file. Supported field types: str, int, float,
bool, Path (resolved against a base folder), StrEnum, tuple[X, ...], dict[str | StrEnum, X], nested
dataclasses, and `X | None`.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class SchemaError(ValueError):
    """A table does not fit its dataclass; the message names the key."""


def build(
    cls: type[T],
    table: Any,
    *,
    base_dir: Path,
    prefix: str = "",
    skip: frozenset[str] = frozenset(),
) -> T:
    """The dataclass `cls` built from a TOML table; an unknown or missing key is a SchemaError."""
    if not isinstance(table, dict):
        raise SchemaError(f"{prefix.rstrip('.') or 'the top level'} must be a table")
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in skip}
    for key in table:
        if key not in fields:
            raise SchemaError(f"unknown key {prefix + key!r}")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        key = prefix + name
        if name not in table:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise SchemaError(f"missing key {key!r}")
            continue
        values[name] = convert(hints[name], table[name], key=key, base_dir=base_dir)
    return cls(**values)


def convert(hint: Any, value: Any, *, key: str, base_dir: Path) -> Any:
    """One TOML value as the field type `hint`; a misfit is a SchemaError naming `key`."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return convert(options[0], value, key=key, base_dir=base_dir)
    if origin is dict:
        return _convert_table(hint, value, key=key, base_dir=base_dir)
    if origin is tuple:
        return _convert_list(hint, value, key=key, base_dir=base_dir)
    if hint is Any:
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, value, base_dir=base_dir, prefix=f"{key}.")
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _convert_enum(hint, value, key=key)
    if hint is Path:
        return _convert_path(value, key=key, base_dir=base_dir)
    return _convert_scalar(hint, value, key=key)


def _convert_table(hint: Any, value: Any, *, key: str, base_dir: Path) -> dict[Any, Any]:
    key_type, value_type = typing.get_args(hint)
    if not isinstance(value, dict):
        raise SchemaError(f"{key!r} must be a table")
    return {
        convert(key_type, k, key=f"{key}.{k}", base_dir=base_dir): convert(
            value_type, v, key=f"{key}.{k}", base_dir=base_dir
        )
        for k, v in value.items()
    }


def _convert_list(hint: Any, value: Any, *, key: str, base_dir: Path) -> tuple[Any, ...]:
    (item_type, _ellipsis) = typing.get_args(hint)
    if not isinstance(value, list):
        raise SchemaError(f"{key!r} must be a list")
    return tuple(
        convert(item_type, v, key=f"{key}[{i}]", base_dir=base_dir) for i, v in enumerate(value)
    )


def _convert_enum(hint: type[enum.Enum], value: Any, *, key: str) -> enum.Enum:
    try:
        return hint(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in hint)
        raise SchemaError(f"{key!r} must be one of {allowed}, got {value!r}") from None


def _convert_path(value: Any, *, key: str, base_dir: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise SchemaError(f"{key!r} must be a path (a non-empty string)")
    try:
        path = Path(value).expanduser()
    except RuntimeError:
        # "~user/..." of a user this machine does not have (pathlib says so with RuntimeError).
        raise SchemaError(f"{key!r}: {value!r} names a home folder that does not exist") from None
    return path if path.is_absolute() else base_dir / path


def _convert_scalar(hint: Any, value: Any, *, key: str) -> Any:
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaError(f"{key!r} must be a number")
        return float(value)
    if hint in (int, str, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise SchemaError(f"{key!r} must be a {hint.__name__}")
        return value
    raise SchemaError(f"{key!r} has an unsupported type {hint!r}")

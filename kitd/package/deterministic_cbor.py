"""Deterministic CBOR (RFC 8949 §4.2): the one encoding used for everything that is hashed or signed.

cbor2's canonical mode sorts map keys length-first, which equals the RFC 8949 bytewise order for the keys
kitd uses (text keys shorter than 24 bytes and small integers); `encode` refuses longer text keys so the
two orders can never diverge silently.
"""

from __future__ import annotations

from typing import Any

import cbor2

MAX_KEY_LENGTH = 23


def encode(value: Any) -> bytes:
    """The deterministic CBOR of `value`; a text map key over 23 bytes is a ValueError."""
    _check_keys(value)
    return cbor2.dumps(value, canonical=True)


def decode(data: bytes) -> Any:
    """The value of one CBOR item; raises ValueError for anything that is not one.

    cbor2's own errors (CBORDecodeError, CBORDecodeEOF) are not ValueErrors in the installed
    release, so callers that catch ValueError would let them escape untyped.
    """
    try:
        return cbor2.loads(data)
    except (cbor2.CBORError, EOFError, RecursionError) as exc:
        raise ValueError(f"not a well-formed CBOR item: {exc}") from exc


def _check_keys(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and len(key.encode("utf-8")) > MAX_KEY_LENGTH:
                raise ValueError(f"map key {key!r} is longer than {MAX_KEY_LENGTH} bytes")
            _check_keys(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_keys(item)

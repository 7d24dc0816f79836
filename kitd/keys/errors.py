"""Typed errors of the key stores; each names the file, token or label a person has to look at."""

from __future__ import annotations


class KeyStoreError(Exception):
    """Base class: a key could not be loaded, created or used."""


class KeyConfigError(KeyStoreError):
    """The key configuration is incomplete or contradictory."""


class InsecureKeyPermissions(KeyStoreError):
    """A file key or its directory is readable by others; kitd refuses to start with it."""

    def __init__(self, path: str, mode: int, wanted: int) -> None:
        super().__init__(
            f"{path} has mode {mode:04o}, which lets other users read key material; "
            f"run `chmod {wanted:04o} {path}` (kitd needs {wanted:04o} or stricter)"
        )
        self.path = path
        self.mode = mode
        self.wanted = wanted


class KitKeyNotFound(KeyStoreError):
    """No key with the configured label (token) or file name (file key)."""


class TokenError(KeyStoreError):
    """The PKCS#11 module, token or PIN did not work."""

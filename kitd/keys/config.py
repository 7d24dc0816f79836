"""Which kit key to use, as plain configuration, and the one call that loads it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from kitd.keys.errors import KeyConfigError
from kitd.keys.file_key import KEY_FILE_MODE, FileKeySigner, check_private_path
from kitd.keys.signer import KitSigner


class KeyBackend(enum.Enum):
    """Where the kit key lives: a PKCS#11 token or a file."""

    PKCS11 = "pkcs11"
    FILE = "file"


@dataclass(frozen=True)
class KitKeyConfig:
    """How to reach the kit key: the backend and its token or file settings."""

    backend: KeyBackend
    # PKCS#11: the module (.so), the token label, the PIN (inline or in a 0600 file) and the key label.
    module_path: Path | None = None
    token_label: str = ""
    pin: str | None = None
    pin_file: Path | None = None
    key_label: str = "kitd-kit-key"
    # File key: the PEM file (its directory must be 0700).
    key_file: Path | None = None

    def read_pin(self) -> str:
        if self.pin is not None and self.pin_file is not None:
            raise KeyConfigError("give either a PIN or a PIN file, not both")
        if self.pin is not None:
            return self.pin
        if self.pin_file is None:
            raise KeyConfigError("the PKCS#11 kit key needs a PIN or a PIN file")
        check_private_path(self.pin_file, KEY_FILE_MODE)
        return self.pin_file.read_text(encoding="utf-8").strip()


def load_kit_key(config: KitKeyConfig) -> KitSigner:
    """Open the configured kit key; raises a KeyStoreError subclass saying what to fix."""
    if config.backend is KeyBackend.FILE:
        if config.key_file is None:
            raise KeyConfigError("the file kit key needs key_file")
        return FileKeySigner.load(config.key_file)
    if config.module_path is None or not config.token_label:
        raise KeyConfigError("the PKCS#11 kit key needs module_path and token_label")
    # Imported here so a file-key kit does not need the PKCS#11 binding loaded.
    from kitd.keys.pkcs11_key import Pkcs11Signer

    return Pkcs11Signer.load(
        config.module_path, config.token_label, config.read_pin(), config.key_label
    )

"""The kit key: opening it where the configuration says, creating it, and publishing its public key.

`kitd keygen` provisions a kit once (technician or factory): on PKCS#11 the private key is generated on
the token and never leaves it. The daemon only opens the key; as the fallback for kits without a token it
creates the file key (0600 in a 0700 folder) at first start. Every folder either creates is 0700. A key that exists is always kept, and
publishing is idempotent, so running either twice is harmless.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kitd.config import Config
from kitd.keys.config import KeyBackend, KitKeyConfig, load_kit_key
from kitd.keys.errors import KitKeyNotFound
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList
from kitd.keys.signer import KitSigner
from kitd.state_dir import ensure_private_dir

log = logging.getLogger(__name__)


def _pkcs11_config(config: Config) -> KitKeyConfig:
    keys = config.keys
    return KitKeyConfig(
        KeyBackend.PKCS11,
        module_path=keys.module_path,
        token_label=keys.token_label,
        pin_file=keys.pin_file,
        key_label=keys.key_label,
    )


def open_kit_key(config: Config, *, create: bool = False) -> KitSigner:
    """The configured kit key. With `create`, a missing key is generated (on the token, or as a file)."""
    if config.keys.backend == "pkcs11":
        key_config = _pkcs11_config(config)
        try:
            return load_kit_key(key_config)
        except KitKeyNotFound:
            if not create:
                raise
        from kitd.keys.pkcs11_key import Pkcs11Signer

        assert key_config.module_path is not None
        return Pkcs11Signer.generate(
            key_config.module_path,
            key_config.token_label,
            key_config.read_pin(),
            key_config.key_label,
        )
    path = config.kit_key_file
    if not path.exists():
        ensure_private_dir(path.parent)
        FileKeySigner.generate(path).close()
        log.info("kit key created", extra={"path": str(path)})
    return load_kit_key(KitKeyConfig(KeyBackend.FILE, key_file=path))


def publish_key(config: Config, signer: KitSigner) -> Path:
    """Adds the key to the kit's published key list (what the back office verifies against)."""
    published = config.published_keys_file
    keys = KitKeyList.load(published) if published.exists() else KitKeyList()
    if keys.get(signer.key_id) is None:
        keys.publish(config.kit_id, signer.public_key)
        ensure_private_dir(published.parent)
        keys.save(published)
    return published


def provision_kit_key(config: Config) -> tuple[str, Path]:
    """Creates (or finds) the kit key and publishes it; returns its key id and the key list path."""
    signer = open_kit_key(config, create=True)
    try:
        return signer.key_id, publish_key(config, signer)
    finally:
        signer.close()

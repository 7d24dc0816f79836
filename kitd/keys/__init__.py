"""Keys: the kit's signing key (PKCS#11 token or a protected file), key ids, the published kit key list,
and the back office's recipient key pair.

Private key material never leaves its store through this package: a token key is used through PKCS#11
and a file key is read only from a 0600 file in a 0700 directory.
"""

from kitd.keys.config import KeyBackend, KitKeyConfig, load_kit_key
from kitd.keys.errors import (
    InsecureKeyPermissions,
    KeyConfigError,
    KeyStoreError,
    KitKeyNotFound,
    TokenError,
)
from kitd.keys.key_id import key_id_of
from kitd.keys.key_list import KitKeyList, PublishedKey
from kitd.keys.recipient import (
    RecipientKeyPair,
    load_recipient_private_key,
    load_recipient_public_key,
)
from kitd.keys.signer import KitSigner

__all__ = [
    "InsecureKeyPermissions",
    "KeyBackend",
    "KeyConfigError",
    "KeyStoreError",
    "KitKeyConfig",
    "KitKeyList",
    "KitKeyNotFound",
    "KitSigner",
    "PublishedKey",
    "RecipientKeyPair",
    "TokenError",
    "key_id_of",
    "load_kit_key",
    "load_recipient_private_key",
    "load_recipient_public_key",
]

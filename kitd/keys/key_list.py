"""The published kit key list: every kit public key the back office accepts, current and rotated.

Rotation creates a new key (hence a new key id) and appends it here; old entries stay, marked retired, so
packages and audit checkpoints signed before the rotation still verify. The list is public data (JSON); it
must never hold a private key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kitd.keys.errors import KeyStoreError
from kitd.keys.key_id import key_id_of


@dataclass(frozen=True)
class PublishedKey:
    """One public kit key in the published list: its id, its kit and when it was retired."""

    key_id: str
    kit_id: str
    public_key: ec.EllipticCurvePublicKey
    # ISO 8601 UTC; empty while the key is current.
    retired_at: str = ""


class KitKeyList:
    """The kit keys the back office trusts, looked up by key id."""

    def __init__(self, keys: tuple[PublishedKey, ...] = ()) -> None:
        self._keys: dict[str, PublishedKey] = {}
        for key in keys:
            self.add(key)

    def add(self, key: PublishedKey) -> None:
        if key_id_of(key.public_key) != key.key_id:
            raise KeyStoreError(f"key id {key.key_id} does not match its public key")
        self._keys[key.key_id] = key

    def publish(self, kit_id: str, public_key: ec.EllipticCurvePublicKey) -> PublishedKey:
        entry = PublishedKey(key_id_of(public_key), kit_id, public_key)
        self.add(entry)
        return entry

    def retire(self, key_id: str, when: str) -> None:
        key = self._keys[key_id]
        self._keys[key_id] = PublishedKey(key.key_id, key.kit_id, key.public_key, when)

    def get(self, key_id: str) -> PublishedKey | None:
        return self._keys.get(key_id)

    def __iter__(self) -> Iterator[PublishedKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def to_json(self) -> str:
        entries = [
            {
                "key_id": key.key_id,
                "kit_id": key.kit_id,
                "public_key_pem": key.public_key.public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                ).decode("ascii"),
                "retired_at": key.retired_at,
            }
            for key in self._keys.values()
        ]
        return json.dumps({"version": 1, "keys": entries}, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> KitKeyList:
        try:
            document = json.loads(text)
            entries = document["keys"]
            keys = []
            for entry in entries:
                public = serialization.load_pem_public_key(entry["public_key_pem"].encode("ascii"))
                if not isinstance(public, ec.EllipticCurvePublicKey):
                    raise KeyStoreError(f"key {entry['key_id']} is not an EC key")
                retired_at = entry.get("retired_at", "")
                if retired_at and not _is_utc_time(retired_at):
                    # The opener compares it with every package's seal time: refuse it here, once.
                    raise KeyStoreError(
                        f"key {entry['key_id']}: retired_at {retired_at!r} is not an RFC 3339 time "
                        "with a zone (e.g. 2026-05-01T00:00:00Z)"
                    )
                keys.append(PublishedKey(entry["key_id"], entry["kit_id"], public, retired_at))
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyStoreError(f"the kit key list is malformed: {exc}") from exc
        return cls(tuple(keys))

    def save(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> KitKeyList:
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise KeyStoreError(f"cannot read the kit key list {path}: {exc}") from exc


def _is_utc_time(text: object) -> bool:
    if not isinstance(text, str):
        return False
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None

"""Signed checkpoints: the kit key vouches for the chain head at a point in time.

A checkpoint record's fields are {head_seq, head_hash, key_id, sig}; `sig` is an ES256 signature by the kit
key over deterministic CBOR ["kitd-audit-checkpoint/1", head_seq, head_hash]. Once a checkpoint is out,
editing or dropping any record before it is detectable by anyone holding the published kit key list.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kitd.keys.key_list import KitKeyList
from kitd.keys.signer import KitSigner
from kitd.package import deterministic_cbor

CHECKPOINT_CONTEXT = "kitd-audit-checkpoint/1"


def _signed_bytes(head_seq: int, head_hash: bytes) -> bytes:
    return deterministic_cbor.encode([CHECKPOINT_CONTEXT, head_seq, head_hash])


def checkpoint_fields(signer: KitSigner, head_seq: int, head_hash: bytes) -> dict[str, Any]:
    """A checkpoint record's fields: the head it vouches for and the kit key's signature of it."""
    return {
        "head_seq": head_seq,
        "head_hash": head_hash,
        "key_id": signer.key_id,
        "sig": signer.sign_es256(_signed_bytes(head_seq, head_hash)),
    }


def checkpoint_problem(fields: dict[str, Any], keys: KitKeyList) -> str | None:
    """Why the checkpoint does not verify, or None when it does."""
    head_seq, head_hash = fields.get("head_seq"), fields.get("head_hash")
    key_id, signature = fields.get("key_id"), fields.get("sig")
    # Checked, not converted: the fields come from a log or a package (bytes(10**12) is a terabyte).
    if (
        not isinstance(head_seq, int)
        or isinstance(head_seq, bool)
        or not isinstance(head_hash, bytes)
        or not isinstance(key_id, str)
        or not isinstance(signature, bytes)
    ):
        return "malformed checkpoint fields: head_seq, head_hash, key_id or sig of the wrong type"
    return signature_problem(keys, key_id, signature, _signed_bytes(head_seq, head_hash))


def signature_problem(keys: KitKeyList, key_id: str, signature: bytes, signed: bytes) -> str | None:
    """Why `signature` (ES256, 64 bytes r||s) by kit key `key_id` over `signed` does not verify."""
    published = keys.get(key_id)
    if published is None:
        return f"signed by kit key {key_id}, which is not in the published kit key list"
    if len(signature) != 64:
        return "signature is not 64 bytes r||s"
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        published.public_key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return f"signature by kit key {key_id} does not verify"
    return None

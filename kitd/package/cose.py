"""COSE_Sign1 (RFC 9052) with ES256, just what kitd needs: sign a payload with the kit key, verify it with
a published kit key.

Protected header: alg = ES256 (-7) and kid = the kit key id (UTF-8 bytes); no unprotected headers, no
external AAD. The signature is over the Sig_structure ["Signature1", protected, h'', payload].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kitd.keys.signer import ES256_SIGNATURE_SIZE, KitSigner
from kitd.package import deterministic_cbor
from kitd.package.errors import MalformedPackage, SignatureInvalid

COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_KID = 4
ALG_ES256 = -7


@dataclass(frozen=True)
class Sign1:
    """A parsed COSE_Sign1 message: signer key id, payload, protected header and signature."""

    key_id: str
    payload: bytes
    protected: bytes
    signature: bytes


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return deterministic_cbor.encode(["Signature1", protected, b"", payload])


def sign1(payload: bytes, signer: KitSigner) -> bytes:
    """A COSE_Sign1 message (ES256, the kit key's id in the protected header) over `payload`."""
    protected = deterministic_cbor.encode(
        {HEADER_ALG: ALG_ES256, HEADER_KID: signer.key_id.encode("utf-8")}
    )
    signature = signer.sign_es256(_sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def parse_sign1(data: bytes) -> Sign1:
    """The COSE_Sign1 in `data`, every part type-checked: a crafted structure (an integer where the
    signature should be, a list as the protected header) is a MalformedPackage, never a TypeError
    further on.
    """
    try:
        item = cbor2.loads(data)
        if not isinstance(item, cbor2.CBORTag) or item.tag != COSE_SIGN1_TAG:
            raise MalformedPackage("the signed manifest is not a COSE_Sign1 (tag 18)")
        if not isinstance(item.value, list | tuple) or len(item.value) != 4:
            raise MalformedPackage("a COSE_Sign1 is an array of four items")
        protected, unprotected, payload, signature = item.value
        for name, part in (
            ("protected", protected),
            ("payload", payload),
            ("signature", signature),
        ):
            if not isinstance(part, bytes):
                raise MalformedPackage(f"the COSE_Sign1 {name} is {type(part).__name__}, not bytes")
        if not isinstance(unprotected, Mapping):
            raise MalformedPackage("the COSE_Sign1 unprotected header is not a map")
        header = cbor2.loads(protected)
        if not isinstance(header, Mapping):
            raise MalformedPackage("the COSE_Sign1 protected header is not a map")
        if header.get(HEADER_ALG) != ALG_ES256:
            raise MalformedPackage(f"unsupported COSE algorithm {header.get(HEADER_ALG)!r}")
        kid = header.get(HEADER_KID)
        if not isinstance(kid, bytes):
            raise MalformedPackage("the COSE_Sign1 protected header has no key id (bytes)")
        key_id = kid.decode("utf-8")
    except (
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        RecursionError,
        cbor2.CBORError,
    ) as exc:
        raise MalformedPackage(f"the COSE_Sign1 structure is not readable: {exc!r}") from exc
    return Sign1(key_id, payload, protected, signature)


def verify_sign1(message: Sign1, public_key: ec.EllipticCurvePublicKey) -> None:
    """Checks a COSE_Sign1 ES256 signature with `public_key`; SignatureInvalid if it fails."""
    if len(message.signature) != ES256_SIGNATURE_SIZE:
        raise SignatureInvalid(f"ES256 signature has {len(message.signature)} bytes, not 64")
    r = int.from_bytes(message.signature[:32], "big")
    s = int.from_bytes(message.signature[32:], "big")
    try:
        public_key.verify(
            encode_dss_signature(r, s),
            _sig_structure(message.protected, message.payload),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature as exc:
        raise SignatureInvalid(
            f"the manifest signature does not verify with kit key {message.key_id}: "
            f"the signed content was changed after signing"
        ) from exc

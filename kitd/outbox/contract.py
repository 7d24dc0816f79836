"""The back-office upload contract (docs/backoffice.md), shared by the uploader and the reference receiver.

`PUT /packages/{package_id}` with the sealed bytes; the receiver answers 200 or 201 with a JSON receipt
naming the package id, the SHA-256 of the bytes it stored and their size. Repeating a PUT with the same
bytes returns the same receipt (idempotent); other bytes under a known id get 409.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from typing import Any

PACKAGES_PATH = "/packages/"
CONTENT_TYPE = "application/vnd.kitd.package"
RECEIPT_CONTENT_TYPE = "application/json"
# A receipt is a few hundred bytes: the uploader reads no more of any answer than this.
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Receipt:
    """The receiver's answer to an upload: which package and bytes it now holds, when, and who."""

    package_id: str
    sha256: str
    size: int
    received_at: str
    receiver: str

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Receipt:
        """The receipt in `data`; ValueError unless it is a JSON object whose fields have their types
        (the receiver is outside the kit: an `Infinity` size or 100,000 nested arrays must not stop
        the uploader).
        """
        try:
            doc = json.loads(data)
        except RecursionError:
            raise ValueError("the receipt nests too deep") from None
        if not isinstance(doc, dict):
            raise ValueError(f"a receipt is a JSON object, not {type(doc).__name__}")
        size = doc.get("size")
        if not isinstance(size, int) or isinstance(size, bool):
            raise ValueError(f"the receipt's size is {type(size).__name__}, not an integer")
        return cls(
            _text(doc, "package_id"),
            _text(doc, "sha256"),
            size,
            _text(doc, "received_at", ""),
            _text(doc, "receiver", ""),
        )


def _text(doc: dict[str, Any], key: str, default: str | None = None) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"the receipt's {key} is {type(value).__name__}, not text")
    return value


def package_path(package_id: str) -> str:
    """The receiver's URL path of one package."""
    return f"{PACKAGES_PATH}{package_id}"


def content_digest(sha256_hex: str) -> str:
    """RFC 9530 Content-Digest header value for a SHA-256."""
    return "sha-256=:" + base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii") + ":"


def receipt_problem(receipt: Receipt, package_id: str, sha256: str, size: int) -> str | None:
    """Why a receipt does not acknowledge this package, or None when it does."""
    if receipt.package_id != package_id:
        return f"the receipt names package {receipt.package_id}, not {package_id}"
    if receipt.sha256.lower() != sha256:
        return f"the receipt names SHA-256 {receipt.sha256}, the package has {sha256}"
    if receipt.size != size:
        return f"the receipt names {receipt.size} bytes, the package has {size}"
    return None

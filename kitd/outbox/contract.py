"""The back-office upload contract (docs/backoffice.md), shared by the uploader and the reference receiver.

`PUT /packages/{package_id}` with the sealed bytes; the receiver answers 200 or 201 with a JSON receipt
naming the package id, the SHA-256 of the bytes it stored and their size. Repeating a PUT with the same
bytes returns the same receipt (idempotent); other bytes under a known id get 409.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass

PACKAGES_PATH = "/packages/"
CONTENT_TYPE = "application/vnd.kitd.package"
RECEIPT_CONTENT_TYPE = "application/json"


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
        doc = json.loads(data)
        return cls(
            str(doc["package_id"]),
            str(doc["sha256"]),
            int(doc["size"]),
            str(doc.get("received_at", "")),
            str(doc.get("receiver", "")),
        )


def package_path(package_id: str) -> str:
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

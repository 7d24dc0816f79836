"""A sealed package's plaintext header: what can be known of a package without opening it.

The header carries only routing data (package id, kit id, recipient key id, suite, sealed time). This
module is the outbox's whole view of a package (kitd.outbox files packages by their header and never
reads their body), so it must stay free of decryption, image codecs and key material.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime

from kitd.package import deterministic_cbor, fields
from kitd.package.errors import MalformedPackage

MAGIC = b"KITPKG\x00\x01"
HEADER_FORMAT = "kitd-sealed/1"
SUITE_NAME = "DHKEM(P-256,HKDF-SHA256)/HKDF-SHA256/AES-256-GCM"


@dataclass(frozen=True)
class Header:
    """The plaintext routing header of a sealed package."""

    package_id: str
    kit_id: str
    recipient_key_id: str
    # RFC 3339 UTC with milliseconds.
    sealed_at: str
    suite: str = SUITE_NAME

    def sealed_at_epoch(self, fallback: float) -> float:
        """The sealed time in epoch seconds; `fallback` when the header's text is not RFC 3339."""
        try:
            return datetime.fromisoformat(self.sealed_at.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return fallback

    def to_cbor(self) -> bytes:
        return deterministic_cbor.encode(
            {
                "format": HEADER_FORMAT,
                "package_id": self.package_id,
                "kit_id": self.kit_id,
                "recipient_key_id": self.recipient_key_id,
                "sealed_at": self.sealed_at,
                "suite": self.suite,
            }
        )

    @classmethod
    def from_cbor(cls, data: bytes) -> Header:
        try:
            doc = fields.as_map(deterministic_cbor.decode(data), "the package header")
        except ValueError as exc:
            raise MalformedPackage(f"the package header is not readable: {exc!r}") from exc
        if doc.get("format") != HEADER_FORMAT:
            raise MalformedPackage(f"unknown header format {doc.get('format')!r}")
        what = "the package header's"
        return cls(
            fields.text(doc, "package_id", what),
            fields.text(doc, "kit_id", what),
            fields.text(doc, "recipient_key_id", what),
            fields.text(doc, "sealed_at", what),
            fields.text(doc, "suite", what),
        )


def read_header(data: bytes) -> Header:
    """Only the header: enough for the outbox to file a package without reading its body."""
    header_bytes, _ = split_header(data)
    return Header.from_cbor(header_bytes)


def split_header(data: bytes) -> tuple[bytes, bytes]:
    """The header bytes and what follows them; MalformedPackage when the frame is cut short."""
    if not data.startswith(MAGIC):
        raise MalformedPackage("not a kitd sealed package (bad magic)")
    offset = len(MAGIC)
    if len(data) < offset + 4:
        raise MalformedPackage("the package is truncated inside its frame")
    (length,) = struct.unpack(">I", data[offset : offset + 4])
    offset += 4
    if len(data) < offset + length:
        raise MalformedPackage("the package is truncated inside its header")
    return data[offset : offset + length], data[offset + length :]

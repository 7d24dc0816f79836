"""The sealed package frame: magic, a plaintext header, the HPKE output, and a digest of that output.

    "KITPKG" 0x00 0x01 | u32 header length | header (deterministic CBOR) | enc || ciphertext | SHA-256(enc || ciphertext)

The header carries only routing data (package id, kit id, recipient key id, suite, sealed time) and is bound
to the ciphertext as HPKE `info`, so it cannot be swapped. The trailing digest is not a security measure
(anyone can recompute it); it lets the opener tell damaged bytes from a swapped header. This module is
read by the outbox and must stay free of image codecs and key material.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

from kitd.package import deterministic_cbor
from kitd.package.errors import CiphertextCorrupted, MalformedPackage

MAGIC = b"KITPKG\x00\x01"
HEADER_FORMAT = "kitd-sealed/1"
SUITE_NAME = "DHKEM(P-256,HKDF-SHA256)/HKDF-SHA256/AES-256-GCM"
DIGEST_SIZE = 32
MEDIA_TYPE = "application/vnd.kitd.package"


@dataclass(frozen=True)
class Header:
    package_id: str
    kit_id: str
    recipient_key_id: str
    # RFC 3339 UTC with milliseconds.
    sealed_at: str
    suite: str = SUITE_NAME

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
            doc: dict[str, Any] = deterministic_cbor.decode(data)
            if doc.get("format") != HEADER_FORMAT:
                raise MalformedPackage(f"unknown header format {doc.get('format')!r}")
            return cls(
                doc["package_id"],
                doc["kit_id"],
                doc["recipient_key_id"],
                doc["sealed_at"],
                doc["suite"],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedPackage(f"the package header is not readable: {exc!r}") from exc


@dataclass(frozen=True)
class Frame:
    header: Header
    # The exact header bytes, as bound into the HPKE `info`.
    header_bytes: bytes
    body: bytes


def build_frame(header_bytes: bytes, body: bytes) -> bytes:
    return b"".join(
        (
            MAGIC,
            struct.pack(">I", len(header_bytes)),
            header_bytes,
            body,
            hashlib.sha256(body).digest(),
        )
    )


def read_header(data: bytes) -> Header:
    """Only the header: enough for the outbox to file a package without reading its body."""
    header_bytes, _ = _split_header(data)
    return Header.from_cbor(header_bytes)


def parse_frame(data: bytes) -> Frame:
    header_bytes, rest = _split_header(data)
    if len(rest) <= DIGEST_SIZE:
        raise MalformedPackage("the package ends before its sealed body")
    body, digest = rest[:-DIGEST_SIZE], rest[-DIGEST_SIZE:]
    if hashlib.sha256(body).digest() != digest:
        raise CiphertextCorrupted(
            f"the sealed body ({len(body)} bytes) does not match its digest: the file was damaged "
            f"or edited after sealing"
        )
    return Frame(Header.from_cbor(header_bytes), header_bytes, body)


def _split_header(data: bytes) -> tuple[bytes, bytes]:
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

"""The sealed package frame: magic, a plaintext header, the HPKE output, and a digest of that output.

    "KITPKG" 0x00 0x01 | u32 header length | header (deterministic CBOR) | enc || ciphertext | SHA-256(enc || ciphertext)

The header carries only routing data (package id, kit id, recipient key id, suite, sealed time) and is bound
to the ciphertext as HPKE `info`, so it cannot be swapped. The trailing digest is not a security measure
(anyone can recompute it); it lets the opener tell damaged bytes from a swapped header. The header itself
is kitd.package.header.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from kitd.package.errors import CiphertextCorrupted, MalformedPackage
from kitd.package.header import MAGIC, Header, split_header

DIGEST_SIZE = 32
MEDIA_TYPE = "application/vnd.kitd.package"


@dataclass(frozen=True)
class Frame:
    """A parsed package: its header, the header's exact bytes and the sealed body."""

    header: Header
    # The exact header bytes, as bound into the HPKE `info`.
    header_bytes: bytes
    body: bytes


def build_frame(header_bytes: bytes, body: bytes) -> bytes:
    """A package's bytes: magic, header length, header, sealed body and the body's SHA-256."""
    return b"".join(
        (
            MAGIC,
            struct.pack(">I", len(header_bytes)),
            header_bytes,
            body,
            hashlib.sha256(body).digest(),
        )
    )


def parse_frame(data: bytes) -> Frame:
    """A package's header and sealed body; a body whose digest differs is CiphertextCorrupted."""
    header_bytes, rest = split_header(data)
    if len(rest) <= DIGEST_SIZE:
        raise MalformedPackage("the package ends before its sealed body")
    body, digest = rest[:-DIGEST_SIZE], rest[-DIGEST_SIZE:]
    if hashlib.sha256(body).digest() != digest:
        raise CiphertextCorrupted(
            f"the sealed body ({len(body)} bytes) does not match its digest: the file was damaged "
            f"or edited after sealing"
        )
    return Frame(Header.from_cbor(header_bytes), header_bytes, body)

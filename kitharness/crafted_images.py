"""Small image files whose headers claim far more pixels than they carry: the decompression bombs of
the security probe (a 130 KB PNG claiming 30000 x 30000), made in a few bytes for tests and seeds."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int, colour_type: int = 0) -> bytes:
    """A PNG whose IHDR says `width` x `height` (8-bit; grey 0 or RGB 2), with one row of data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    channels = 3 if colour_type == 2 else 1
    row = b"\x00" + bytes(width * channels if width < 4096 else 4096)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(row))
        + _chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose SOF0 marker is rewritten to say `width` x `height`."""
    buffer = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(buffer, "JPEG", quality=80)
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    # SOF0: marker, length (2), precision (1), height (2), width (2).
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)

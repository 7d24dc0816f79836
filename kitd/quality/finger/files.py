"""Reads fingerprint image files into memory for the `kit-quality finger` command.

PNG, PGM, BMP and WSQ (the `wsq` package adds a Pillow plugin) through Pillow, and headerless 8-bit RAW
with a size given by the caller. Only reads: it never writes an image, and nothing it reads is cached.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wsq  # noqa: F401 - registers the WSQ format with Pillow
from numpy.typing import NDArray
from PIL import Image

from kitd.quality.finger.errors import FingerprintImageError
from kitd.quality.image_header import (
    ImageRefused,
    UnreadableImageHeader,
    claimed_image,
    read_bounded,
)
from kitd.records.wsq import WsqError, decode_wsq

RAW_SUFFIXES = {".raw", ".gray", ".grey"}
# The most pixels decoded from one file: a 1000 ppi ten-print card is about 16 million.
MAX_PIXELS = 25_000_000
# Image editors write 72 or 96 dpi into files by default; only a recorded resolution this high or more
# is taken to be the scanner's.
MIN_SCANNER_PPI = 300
# Pillow modes that are one 8-bit grey channel or that convert to one without loss of meaning.
_GREY_MODES = {"L", "1", "P", "RGB", "RGBA", "LA"}


@dataclass(frozen=True)
class LoadedImage:
    """A fingerprint image file's grey pixels and the resolution it records."""

    pixels: NDArray[np.uint8]
    # The resolution the file records, when it records a scanner resolution (300 ppi or more).
    ppi: int | None


def load_image(path: Path, raw_size: tuple[int, int] | None = None) -> LoadedImage:
    """Read one file; raise FingerprintImageError (or OSError) with a message a person can act on.
    A file over MAX_FILE_BYTES, or whose header claims more than MAX_PIXELS, is refused before any
    pixel is decoded.
    """
    try:
        data = read_bounded(str(path))
    except ImageRefused as error:
        raise FingerprintImageError(str(error)) from error
    return decode_image(data, raw=path.suffix.lower() in RAW_SUFFIXES, raw_size=raw_size)


def decode_image(data: bytes, *, raw: bool, raw_size: tuple[int, int] | None) -> LoadedImage:
    """A file's bytes as grey pixels (`raw`: headerless 8-bit); FingerprintImageError otherwise."""
    if raw:
        return _load_raw(data, raw_size)
    try:
        claim = claimed_image(data, MAX_PIXELS)
    except UnreadableImageHeader as error:
        if raw_size is not None:
            # Not a format Pillow knows, and the caller gave a size: headerless RAW under another name.
            return _load_raw(data, raw_size)
        raise FingerprintImageError(
            "not a readable image (PNG, PGM, BMP or WSQ; for headerless RAW give --size WxH)"
        ) from error
    except ImageRefused as error:
        raise FingerprintImageError(str(error)) from error
    if claim.format == "WSQ":
        # NBIS can crash the process on a damaged stream: kitd.records decodes it in a child.
        try:
            return LoadedImage(pixels=decode_wsq(data), ppi=None)
        except WsqError as error:
            raise FingerprintImageError(f"the WSQ stream is not readable: {error}") from error
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.mode not in _GREY_MODES:
                raise FingerprintImageError(
                    f"unsupported pixel format {image.mode}: expected 8-bit grey "
                    "(16-bit and floating-point images are not fingerprint captures)"
                )
            grey = image if image.mode == "L" else image.convert("L")
            pixels = np.asarray(grey, dtype=np.uint8).copy()
            dpi = image.info.get("dpi")
    except (FingerprintImageError, MemoryError):
        raise
    except Exception as error:  # decoders raise whatever their code trips on
        # The header was readable, the pixels are not (truncated, corrupt).
        raise FingerprintImageError(f"the image data is not readable: {error!r}") from error
    ppi = round(float(dpi[0])) if dpi and float(dpi[0]) >= MIN_SCANNER_PPI else None
    return LoadedImage(pixels=pixels, ppi=ppi)


def _load_raw(data: bytes, raw_size: tuple[int, int] | None) -> LoadedImage:
    if not data:
        raise FingerprintImageError("empty file")
    if raw_size is None:
        raise FingerprintImageError("headerless RAW image: give its size with --size WxH")
    width, height = raw_size
    if len(data) != width * height:
        raise FingerprintImageError(
            f"RAW file has {len(data)} bytes, but {width} x {height} 8-bit pixels need {width * height}"
        )
    pixels = np.frombuffer(data, dtype=np.uint8).reshape(height, width).copy()
    return LoadedImage(pixels=pixels, ppi=None)


def parse_size(text: str) -> tuple[int, int]:
    """'400x500' -> (400, 500)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError as error:
        raise ValueError(f"size must be WIDTHxHEIGHT, e.g. 400x500, not {text!r}") from error
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be positive, not {text!r}")
    return width, height

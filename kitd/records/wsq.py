"""WSQ (FBI Wavelet Scalar Quantization) encoding and decoding of 8-bit fingerprint images, in memory.

Uses the `wsq` package's Pillow plugin (NBIS underneath). The plugin's encoder is fixed at 0.75 bit per
pixel, the rate ANSI/NIST-ITL Type-14 records use for 500 ppi prints, so that is the only rate offered.
This module must never write an image to a file: fingerprints are biometric data and stay in memory until
they are sealed.
"""

from __future__ import annotations

import io

import numpy as np
import wsq  # noqa: F401 - registers the WSQ codec with Pillow
from numpy.typing import NDArray
from PIL import Image

SUPPORTED_BITRATE = 0.75
SUPPORTED_PPI = 500
# WSQ streams start with the SOI marker FF A0.
WSQ_MAGIC = b"\xff\xa0"


class WsqError(ValueError):
    """The image cannot be encoded, or the bytes are not a decodable WSQ stream."""


def encode_wsq(
    pixels: NDArray[np.uint8], ppi: int = SUPPORTED_PPI, bitrate: float = SUPPORTED_BITRATE
) -> bytes:
    """Encode a 2-D uint8 grey image (0 = black ridge) as WSQ at 0.75 bpp."""
    if bitrate != SUPPORTED_BITRATE:
        raise WsqError(f"WSQ bitrate {bitrate} is not offered; the encoder is fixed at 0.75 bpp")
    if ppi != SUPPORTED_PPI:
        # The WSQ stream does not carry the resolution here; Type-14 records state it, and kitd
        # captures at 500 ppi only. Refusing other values keeps the two from disagreeing.
        raise WsqError(f"fingerprints are encoded at {SUPPORTED_PPI} ppi, got {ppi}")
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise WsqError(f"expected a 2-D uint8 image, got {pixels.ndim}-D {pixels.dtype}")
    height, width = pixels.shape
    if width < 32 or height < 32:
        raise WsqError(f"image {width}x{height} is too small for WSQ (at least 32x32)")
    buffer = io.BytesIO()
    try:
        Image.fromarray(np.ascontiguousarray(pixels), mode="L").save(buffer, "WSQ")
    except Exception as exc:
        raise WsqError(f"WSQ encoder failed on a {width}x{height} image: {exc}") from exc
    return buffer.getvalue()


def decode_wsq(data: bytes) -> NDArray[np.uint8]:
    """Decode a WSQ stream to a 2-D uint8 image."""
    if not data.startswith(WSQ_MAGIC):
        raise WsqError("not a WSQ stream (missing the FF A0 start-of-image marker)")
    try:
        with Image.open(io.BytesIO(data), formats=["WSQ"]) as image:
            image.load()
            return np.asarray(image, dtype=np.uint8).copy()
    except Exception as exc:
        raise WsqError(f"cannot decode WSQ stream of {len(data)} bytes: {exc}") from exc

"""Encoding images for the report: a JPEG or PNG `Picture`, downscaled so a report stays small."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.selftest.result import Picture, PictureFormat

# The report shows pictures at most this wide; the figures are measured on the full frames.
MAX_WIDTH = 960


def jpeg_picture(image: NDArray[np.uint8], quality: int = 85) -> Picture:
    """An image as a JPEG picture for a report, scaled down to the report's width."""
    scaled = _fit(image)
    ok, buffer = cv2.imencode(".jpg", scaled, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("the picture could not be JPEG-encoded")
    return Picture(PictureFormat.JPEG, buffer.tobytes(), scaled.shape[1], scaled.shape[0])


def png_picture(image: NDArray[np.uint8], ppi: int = 0) -> Picture:
    """Lossless, for images whose pixels matter (a blank platen frame): never downscaled."""
    ok, buffer = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("the picture could not be PNG-encoded")
    return Picture(PictureFormat.PNG, buffer.tobytes(), image.shape[1], image.shape[0], ppi)


def _fit(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    height, width = image.shape[:2]
    if width <= MAX_WIDTH:
        return image
    size = (MAX_WIDTH, round(height * MAX_WIDTH / width))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)

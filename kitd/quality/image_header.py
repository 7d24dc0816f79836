"""What an image file claims before anything decodes it: its format and its size in pixels.

A 130 KB PNG or JPEG may claim 30000 x 30000 pixels and decode into 5 GB. The `kit-quality` loaders
read the claim here (Pillow parses only the header on open; no pixel is decoded) and refuse a file
over their cap with a typed error, so one hostile file costs a header read and the batch goes on.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from dataclasses import dataclass

from PIL import Image

# No file the tools read is this large: a 50 MP photo as PNG is about 150 MB at worst.
MAX_FILE_BYTES = 256 * 1024 * 1024


class ImageRefused(ValueError):
    """An image file refused before decoding: empty, too large, unknown or claiming too many pixels."""


class EmptyImageFile(ImageRefused):
    """The file has no bytes."""


class UnreadableImageHeader(ImageRefused):
    """The bytes do not start with an image header Pillow knows."""


class ImageTooLarge(ImageRefused):
    """The file, or the pixels its header claims, exceed the tool's cap."""


@dataclass(frozen=True)
class ClaimedImage:
    """An image header's format (Pillow's name, e.g. "PNG", "JPEG", "WSQ") and size."""

    format: str
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def claimed_image(data: bytes, max_pixels: int) -> ClaimedImage:
    """The header's claim; ImageRefused when the bytes are empty or not an image Pillow knows, or
    when the claim exceeds `max_pixels`.
    """
    if not data:
        raise EmptyImageFile("empty file")
    try:
        with warnings.catch_warnings():
            # Pillow warns (and above twice its limit refuses) on open: the caps here are lower.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                claim = ClaimedImage(str(image.format), int(image.width), int(image.height))
    except Image.DecompressionBombError:
        raise ImageTooLarge(f"the image claims more than {max_pixels:,} pixels") from None
    except MemoryError:
        raise
    except Exception as exc:
        # Pillow's header parsers and its plugins (WSQ's among them) raise whatever their code
        # trips on with junk: SyntaxError, EOFError, struct.error, even UnboundLocalError (found
        # by fuzzing). Any of them means the same here: not an image header this tool reads.
        raise UnreadableImageHeader(f"not a readable image header ({type(exc).__name__})") from exc
    if claim.width <= 0 or claim.height <= 0:
        raise UnreadableImageHeader(f"the image claims {claim.width} x {claim.height} pixels")
    if claim.pixels > max_pixels:
        raise ImageTooLarge(
            f"the image claims {claim.width} x {claim.height} pixels, more than the "
            f"{max_pixels:,} this tool decodes"
        )
    return claim


def read_bounded(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refused (ImageRefused) without reading when it is larger than `limit`, and
    after `limit` bytes when it grows while it is read;
    OSError when it cannot be read. Only regular files: opening a FIFO would wait for a writer, and a
    device such as /dev/zero never ends.
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise UnreadableImageHeader("not a regular file")
    with open(path, "rb") as file:
        size = file.seek(0, io.SEEK_END)
        if size > limit:
            raise ImageTooLarge(f"the file has {size:,} bytes, more than {limit:,}")
        file.seek(0)
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ImageTooLarge(f"the file has more than {limit:,} bytes")
    return data

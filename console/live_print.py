"""The reader's live image for the page: the daemon's 8-bit grey preview, thinned to at most 250 rows
(every n-th pixel of every n-th row) and base64-encoded, which the page paints on a canvas. Thinning
keeps each message small at the reader's preview rate; the page shows it at about that size.
"""

from __future__ import annotations

import base64
from typing import Any

from kit.v1 import types_pb2

MAX_ROWS = 250


def live_print(image: types_pb2.Image) -> dict[str, Any] | None:
    """`{"width", "height", "gray"}` for the page, None when the image is not a whole grey picture."""
    width, height, data = image.width, image.height, image.data
    if image.format != types_pb2.IMAGE_FORMAT_GRAY8 or not width or len(data) != width * height:
        return None
    step = max(1, -(-height // MAX_ROWS))
    rows = [data[row * width : (row + 1) * width : step] for row in range(0, height, step)]
    thinned = b"".join(rows)
    return {
        "width": len(rows[0]) if rows else 0,
        "height": len(rows),
        "gray": base64.b64encode(thinned).decode("ascii"),
    }

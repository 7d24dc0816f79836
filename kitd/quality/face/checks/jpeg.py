"""The quality a JPEG file was saved with, read from its luminance quantisation table (DQT segment).

Encoders that follow the IJG convention scale the example table of ITU-T T.81 Annex K by the quality
setting; the quality whose scaled table is nearest to the file's is the file's quality (for other encoders
it is the IJG-equivalent quality). This reads marker segments only: it must never decode pixels, and it
must never apply a threshold.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

# ITU-T T.81 Annex K, Table K.1: the example luminance quantisation table, in natural (row) order.
ANNEX_K_LUMINANCE = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.float64,
)
SOI, DQT, SOS = 0xD8, 0xDB, 0xDA


def zigzag_order() -> list[tuple[int, int]]:
    """(row, column) of the 64 coefficients in the order a DQT segment stores them."""
    cells = [(r, c) for r in range(8) for c in range(8)]
    # Along anti-diagonals, alternating direction: up-right on even sums, down-left on odd ones.
    return sorted(cells, key=lambda rc: (rc[0] + rc[1], rc[0] if (rc[0] + rc[1]) % 2 else rc[1]))


def luminance_table(data: bytes) -> NDArray[np.float64] | None:
    """The 8x8 table with id 0 (luminance, natural order) of a baseline or progressive JPEG, or None."""
    if len(data) < 4 or data[0] != 0xFF or data[1] != SOI:
        return None
    for marker, segment in _segments(data):
        if marker != DQT:
            continue
        for entry in _quantisation_tables(segment):
            if entry is None:
                return None  # a table cut short: the file is not one to judge
            table_id, values = entry
            if table_id == 0:
                return _natural_order(values)
    return None


def _segments(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The marker segments (marker, payload) before the first scan; stops at anything malformed."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker == SOS or length < 2:
            return
        yield marker, data[i + 4 : i + 2 + length]
        i += 2 + length


def _quantisation_tables(segment: bytes) -> Iterator[tuple[int, NDArray[np.integer]] | None]:
    """Each table of a DQT segment as (id, 64 values in zigzag order); None for one cut short."""
    j = 0
    while j < len(segment):
        precision, table_id = segment[j] >> 4, segment[j] & 0x0F
        size = 128 if precision else 64
        raw = segment[j + 1 : j + 1 + size]
        if len(raw) < size:
            yield None
            return
        yield (
            table_id,
            np.frombuffer(raw, dtype=">u2") if precision else np.frombuffer(raw, np.uint8),
        )
        j += 1 + size


def _natural_order(values: NDArray[np.integer]) -> NDArray[np.float64]:
    table = np.zeros((8, 8), dtype=np.float64)
    for (r, c), v in zip(zigzag_order(), values, strict=True):
        table[r, c] = float(v)
    return table


def ijg_table(quality: int) -> NDArray[np.float64]:
    """Annex K's table scaled as the IJG library does for `quality` (1-100)."""
    scale = 5000.0 / quality if quality < 50 else 200.0 - 2.0 * quality
    result: NDArray[np.float64] = np.clip(
        np.floor((ANNEX_K_LUMINANCE * scale + 50.0) / 100.0), 1, 255
    )
    return result


def jpeg_quality(data: bytes) -> float:
    """The IJG quality (1-100) nearest to the file's luminance table; NaN when `data` is not a JPEG."""
    table = luminance_table(data)
    if table is None:
        return math.nan
    errors = [float(np.abs(np.log(ijg_table(q)) - np.log(table)).mean()) for q in range(1, 101)]
    return float(1 + int(np.argmin(errors)))

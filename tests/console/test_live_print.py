"""The reader's live image as the page gets it: thinned to at most 250 rows, pixels kept as they are."""

from __future__ import annotations

import base64

from console.live_print import live_print
from kit.v1 import types_pb2


def grey(width: int, height: int) -> types_pb2.Image:
    data = bytes((x + y) % 256 for y in range(height) for x in range(width))
    return types_pb2.Image(
        format=types_pb2.IMAGE_FORMAT_GRAY8, data=data, width=width, height=height
    )


def test_a_400_by_500_print_goes_to_the_page_as_every_second_pixel_of_every_second_row() -> None:
    sent = live_print(grey(400, 500))
    assert sent is not None
    assert (sent["width"], sent["height"]) == (200, 250)
    pixels = base64.b64decode(sent["gray"])
    assert len(pixels) == 200 * 250
    # Row r, column c of the page's image is row 2r, column 2c of the reader's.
    assert pixels[3 * 200 + 7] == (2 * 7 + 2 * 3) % 256


def test_a_small_print_goes_as_it_is() -> None:
    sent = live_print(grey(120, 200))
    assert sent is not None and (sent["width"], sent["height"]) == (120, 200)
    assert base64.b64decode(sent["gray"]) == grey(120, 200).data


def test_an_image_that_is_not_a_whole_grey_picture_is_not_sent() -> None:
    truncated = grey(100, 100)
    truncated.data = truncated.data[:-1]
    assert live_print(truncated) is None
    assert live_print(types_pb2.Image(format=types_pb2.IMAGE_FORMAT_PNG, data=b"x")) is None

"""`kit-quality finger`: formats, many files per call, and one clear error line per bad file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from ridge_prints import PrintSpec, ridge_print

from kitd.cli.quality import main as kit_quality
from kitd.quality.finger.features import FEATURE_NAMES


@pytest.fixture(scope="module")
def print_pixels() -> np.ndarray:
    return ridge_print(PrintSpec(extra_minutiae=20))


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_json_gives_one_object_per_file_with_score_features_feedback_and_time(
    tmp_path: Path, print_pixels: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for suffix in (".png", ".pgm", ".bmp"):
        path = tmp_path / f"print{suffix}"
        Image.fromarray(print_pixels).save(path)
        paths.append(str(path))
    assert kit_quality(["finger", "--json", *paths]) == 0
    lines = _lines(capsys)
    assert [line["path"] for line in lines] == paths
    scores = {line["score"] for line in lines}
    assert len(scores) == 1  # the same pixels in three formats
    for line in lines:
        assert set(line) == {"path", "score", "features", "feedback", "ms"}
        assert list(line["features"]) == list(FEATURE_NAMES)
        assert isinstance(line["feedback"], list)


def test_wsq_files_are_read(
    tmp_path: Path, print_pixels: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    import wsq  # noqa: F401 - the Pillow plugin

    path = tmp_path / "print.wsq"
    Image.fromarray(print_pixels).save(path, format="WSQ")
    assert kit_quality(["finger", "--json", str(path)]) == 0
    line = _lines(capsys)[0]
    assert isinstance(line["score"], int)


def test_raw_files_need_and_use_the_given_size(
    tmp_path: Path, print_pixels: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "print.raw"
    path.write_bytes(print_pixels.tobytes())
    assert kit_quality(["finger", "--json", "--size", "400x500", str(path)]) == 0
    assert "score" in _lines(capsys)[0]
    assert kit_quality(["finger", "--json", "--size", "300x500", str(path)]) == 1
    assert "bytes" in str(_lines(capsys)[0]["error"])
    assert kit_quality(["finger", "--json", str(path)]) == 1
    assert "--size" in str(_lines(capsys)[0]["error"])


def test_a_file_of_unknown_format_is_read_as_raw_when_a_size_is_given(
    tmp_path: Path, print_pixels: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "capture.bin"
    path.write_bytes(print_pixels.tobytes())
    assert kit_quality(["finger", "--json", "--size", "400x500", str(path)]) == 0
    assert "score" in _lines(capsys)[0]


def test_bad_files_get_an_error_line_and_the_others_are_still_scored(
    tmp_path: Path, print_pixels: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(print_pixels).save(good)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((1, 1), np.uint8)).save(tiny)
    deep = tmp_path / "deep.png"
    Image.fromarray(print_pixels.astype(np.uint16) * 256).save(deep)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    missing = tmp_path / "missing.png"
    paths = [good, empty, tiny, deep, text, missing]
    assert kit_quality(["finger", "--json", *map(str, paths)]) == 1
    lines = _lines(capsys)
    assert [line["path"] for line in lines] == list(map(str, paths))
    assert "score" in lines[0]
    errors = [str(line["error"]) for line in lines[1:]]
    assert "empty file" in errors[0]
    assert "too small" in errors[1]
    assert "8-bit" in errors[2]
    assert "not a readable image" in errors[3]
    assert errors[4]
    assert all(set(line) == {"path", "error"} for line in lines[1:])


def test_a_resolution_other_than_500_ppi_is_an_error_per_file(
    tmp_path: Path, print_pixels: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "print.png"
    Image.fromarray(print_pixels).save(path)
    assert kit_quality(["finger", "--json", "--ppi", "1000", str(path)]) == 1
    assert "1000 ppi" in str(_lines(capsys)[0]["error"])
    recorded = tmp_path / "recorded.png"
    Image.fromarray(print_pixels).save(recorded, dpi=(1000, 1000))
    assert kit_quality(["finger", "--json", str(recorded)]) == 1
    assert "1000 ppi" in str(_lines(capsys)[0]["error"])


def test_without_json_a_table_is_printed(
    tmp_path: Path, print_pixels: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "print.png"
    Image.fromarray(print_pixels).save(path)
    assert kit_quality(["finger", str(path)]) == 0
    out = capsys.readouterr().out
    assert "score" in out and "feedback" in out


def test_decompression_bombs_get_one_error_each_and_the_batch_goes_on(
    tmp_path: Path, print_pixels: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    from support.crafted_images import png_claiming

    # The probe: an untyped DecompressionBombError stopped the batch at the first of these.
    over_pillow = tmp_path / "bomb-30000.png"
    over_pillow.write_bytes(png_claiming(30000, 30000))
    over_cap = tmp_path / "bomb-6000.png"
    over_cap.write_bytes(png_claiming(6000, 6000))
    good = tmp_path / "good.png"
    Image.fromarray(print_pixels).save(good)
    paths = [over_pillow, over_cap, good]
    assert kit_quality(["finger", "--json", *map(str, paths)]) == 1
    lines = _lines(capsys)
    assert [line["path"] for line in lines] == list(map(str, paths))
    assert "more than" in lines[0]["error"]
    assert "6000 x 6000 pixels, more than the 25,000,000" in lines[1]["error"]
    assert "score" in lines[2]


def test_a_truncated_image_is_an_error_line(
    tmp_path: Path, print_pixels: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole.png"
    Image.fromarray(print_pixels).save(whole)
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole.read_bytes()[:200])
    assert kit_quality(["finger", "--json", str(cut)]) == 1
    assert "not readable" in _lines(capsys)[0]["error"]


def test_a_device_or_a_fifo_is_an_error_line_not_an_endless_read(
    tmp_path: Path, print_pixels: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    # /dev/zero reports no size and never ends: it was read until memory ran out.
    fifo = tmp_path / "print.fifo"
    os.mkfifo(fifo)  # opening it would wait for a writer that never comes
    good = tmp_path / "good.png"
    Image.fromarray(print_pixels).save(good)
    paths = ["/dev/zero", str(fifo), str(good)]
    assert kit_quality(["finger", "--json", *paths]) == 1
    lines = _lines(capsys)
    assert [line["path"] for line in lines] == paths
    assert "not a regular file" in lines[0]["error"]
    assert "not a regular file" in lines[1]["error"]
    assert "score" in lines[2]

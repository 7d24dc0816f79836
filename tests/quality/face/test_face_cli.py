"""`kit-quality face`: one JSON object per path, errors per file, exit code 1 when any file failed."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from kitd.quality.face.cli import main
from kitd.quality.face.vocabulary import FaceCheck


def test_json_lines_for_images_and_errors(
    tmp_path: Path, astronaut: NDArray[np.uint8], capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "astronaut.png"
    cv2.imwrite(str(good), astronaut)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    code = main(["--json", str(good), str(broken), str(tmp_path / "absent.jpg")])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [line["path"] for line in lines] == [
        str(good),
        str(broken),
        str(tmp_path / "absent.jpg"),
    ]
    record = lines[0]
    assert set(record) == {"path", "compliant", "face_count", "checks", "guidance", "ms"}
    assert record["face_count"] == 1
    assert set(record["checks"]) == {c.value for c in FaceCheck}
    assert set(record["checks"]["roll"]) == {"value", "pass", "quality"}
    assert set(lines[1]) == {"path", "error"} and set(lines[2]) == {"path", "error"}


def test_all_readable_files_exit_zero_with_a_table(
    tmp_path: Path, astronaut: NDArray[np.uint8], capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "a.jpg"
    cv2.imwrite(str(good), astronaut)
    assert main([str(good)]) == 0
    out = capsys.readouterr().out
    assert "inter_eye_distance" in out and "not compliant" in out


@pytest.mark.parametrize(("quality", "passes"), [(10, False), (95, True)])
def test_a_jpeg_file_is_judged_on_the_quality_it_was_saved_with(
    tmp_path: Path,
    astronaut: NDArray[np.uint8],
    capsys: pytest.CaptureFixture[str],
    quality: int,
    *,
    passes: bool,
) -> None:
    photo = tmp_path / f"q{quality}.jpg"
    cv2.imwrite(str(photo), astronaut, [cv2.IMWRITE_JPEG_QUALITY, quality])
    main(["--json", str(photo)])
    record = json.loads(capsys.readouterr().out)
    assert record["checks"]["compression"]["pass"] is passes


def test_decompression_bombs_and_empty_files_get_one_error_each_and_the_batch_goes_on(
    tmp_path: Path, astronaut: NDArray[np.uint8], capsys: pytest.CaptureFixture[str]
) -> None:
    from support.crafted_images import jpeg_claiming, png_claiming

    # The probe: each claimed 30000 x 30000 and was decoded into 5.3 GB.
    png_bomb = tmp_path / "bomb.png"
    png_bomb.write_bytes(png_claiming(30000, 30000, colour_type=2))
    jpeg_bomb = tmp_path / "bomb.jpg"
    jpeg_bomb.write_bytes(jpeg_claiming(30000, 30000))
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    good = tmp_path / "astronaut.png"
    cv2.imwrite(str(good), astronaut)
    paths = [png_bomb, jpeg_bomb, empty, good]
    assert main(["--json", *map(str, paths)]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["path"] for line in lines] == list(map(str, paths))
    for bomb in lines[:2]:
        assert "claims" in bomb["error"] and "more than" in bomb["error"], bomb
        assert "50,000,000" in bomb["error"]
    assert lines[2]["error"] == "empty file"
    assert lines[3]["face_count"] == 1


def test_a_header_under_pillows_own_limit_is_refused_by_the_tools_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from support.crafted_images import png_claiming

    bomb = tmp_path / "huge.png"
    bomb.write_bytes(png_claiming(8000, 8000))  # under Pillow's own limit, over the tool's
    assert main(["--json", str(bomb)]) == 1
    assert (
        "8000 x 8000 pixels, more than the 50,000,000"
        in json.loads(capsys.readouterr().out)["error"]
    )

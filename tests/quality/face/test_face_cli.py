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
    passes: bool,
) -> None:
    photo = tmp_path / f"q{quality}.jpg"
    cv2.imwrite(str(photo), astronaut, [cv2.IMWRITE_JPEG_QUALITY, quality])
    main(["--json", str(photo)])
    record = json.loads(capsys.readouterr().out)
    assert record["checks"]["compression"]["pass"] is passes

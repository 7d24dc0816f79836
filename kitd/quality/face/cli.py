"""`kit-quality face [--json] PATH...`: the ICAO face assessment of image files, as the daemon makes it.

With --json, one object per line: {"path", "compliant", "face_count", "checks": {id: {"value", "pass",
"quality"}}, "guidance", "ms"}; an unreadable file gives {"path", "error"} and exit code 1. Models load
once for all paths. A JPEG file's compression is also judged on the quality it was saved with (its
quantisation table). This command only reads the files it is given; it must never write images.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kitd.locale import english
from kitd.quality.face.assessment import FaceAssessment, FaceAssessor
from kitd.quality.face.checks.jpeg import jpeg_quality
from kitd.quality.face.models import FaceModelError
from kitd.quality.image_header import UnreadableImageHeader, claimed_image, read_bounded


def as_record(path: str, assessment: FaceAssessment, ms: float) -> dict[str, Any]:
    """One image's assessment as the --json line prints it."""
    return {
        "path": path,
        "compliant": assessment.compliant,
        "face_count": assessment.face_count,
        "checks": {
            c.id: {
                "value": None if math.isnan(c.value) else round(c.value, 4),
                "pass": c.passed,
                "quality": c.quality,
            }
            for c in assessment.checks
        },
        "guidance": [english(g) for g in assessment.guidance],
        "ms": round(ms, 1),
    }


# The most pixels decoded from one file: a 50-megapixel camera's photo (150 MB as BGR).
MAX_PIXELS = 50_000_000
# What is decoded (with OpenCV, after Pillow has read the header's size): the photo formats.
FORMATS = {"JPEG", "PNG", "BMP", "TIFF", "WEBP", "PPM"}


def read_image(path: str) -> tuple[np.ndarray[Any, np.dtype[np.uint8]], float]:
    """The file decoded as BGR (EXIF orientation applied, as OpenCV's imread does) and, for a JPEG, the
    quality it was saved with (NaN otherwise); ValueError (ImageRefused before any decoding: empty,
    too large, unknown, more than MAX_PIXELS) if it is not a readable image.
    """
    if not Path(path).is_file():
        raise ValueError("no such file")
    try:
        data = read_bounded(path)
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    return decode_photo(data)


def decode_photo(data: bytes) -> tuple[np.ndarray[Any, np.dtype[np.uint8]], float]:
    """A photo file's bytes as BGR and its saved JPEG quality; ValueError when they are not one."""
    claim = claimed_image(data, MAX_PIXELS)
    if claim.format not in FORMATS:
        raise UnreadableImageHeader(f"{claim.format} is not a photo format (JPEG, PNG, ...)")
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        image = None
    if image is None:
        raise ValueError("not a readable image")
    return np.asarray(image, dtype=np.uint8), jpeg_quality(data)


def print_table(record: dict[str, Any]) -> None:
    """One image's assessment as a table: its verdict, then each check."""
    from rich.console import Console
    from rich.table import Table

    verdict = "[green]compliant[/green]" if record["compliant"] else "[red]not compliant[/red]"
    table = Table(
        title=f"{record['path']}: {verdict}, {record['face_count']} face(s), {record['ms']} ms"
    )
    for column in ("check", "value", "pass", "quality"):
        table.add_column(column)
    for check_id, result in record["checks"].items():
        value = "-" if result["value"] is None else f"{result['value']:.4g}"
        table.add_row(
            check_id, value, "yes" if result["pass"] else "[red]NO[/red]", str(result["quality"])
        )
    console = Console()
    console.print(table)
    for line in record["guidance"]:
        console.print(f"  • {line}")


def main(argv: list[str]) -> int:
    """`kit-quality face`: a table or a JSON line per file; exit code 1 if one does not load."""
    parser = argparse.ArgumentParser(prog="kit-quality face", description=__doc__)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    args = parser.parse_args(argv)
    try:
        assessor = FaceAssessor()
    except FaceModelError as exc:
        print(f"kit-quality face: {exc}", file=sys.stderr)
        return 1
    failed = False
    for path in args.paths:
        try:
            image, saved_quality = read_image(path)
        except ValueError as exc:
            failed = True
            if args.json:
                print(json.dumps({"path": path, "error": str(exc)}), flush=True)
            else:
                print(f"{path}: error: {exc}", file=sys.stderr)
            continue
        start = time.perf_counter()
        assessment = assessor.assess(image, jpeg_quality=saved_quality)
        record = as_record(path, assessment, (time.perf_counter() - start) * 1000.0)
        if args.json:
            print(json.dumps(record), flush=True)
        else:
            print_table(record)
    return 1 if failed else 0

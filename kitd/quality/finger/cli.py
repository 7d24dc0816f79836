"""`kit-quality finger`: score fingerprint image files as the daemon would.

    kit-quality finger [--ppi PPI] [--size WxH] [--json] PATH...

With --json, one JSON object per line and file: {"path", "score", "features", "feedback", "ms"}, or
{"path", "error"} for a file that cannot be read or assessed (the others are still scored; exit code 1).
Without --json, a table. The model is loaded once for all files. Reads files only; writes nothing but
its report to standard output.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kitd.quality.finger.assessment import FingerAssessment, FingerQuality
from kitd.quality.finger.errors import FingerprintImageError
from kitd.quality.finger.files import load_image, parse_size


@dataclass(frozen=True)
class Outcome:
    """One file's result in kit-quality finger: its assessment or error, and the time taken."""

    path: str
    assessment: FingerAssessment | None = None
    ms: float = 0.0
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        if self.assessment is None:
            return {"path": self.path, "error": self.error}
        return {
            "path": self.path,
            "score": self.assessment.score,
            "features": self.assessment.features,
            "feedback": [str(code) for code in self.assessment.feedback],
            "ms": round(self.ms, 2),
        }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kit-quality finger", description="NFIQ 2-aligned fingerprint quality of image files."
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument(
        "--ppi",
        type=int,
        default=None,
        help="resolution of the images (default: the file's, if it records 300 ppi or more, else 500); "
        "only 500 ppi is supported",
    )
    parser.add_argument(
        "--size", type=parse_size, default=None, help="WxH of headerless .raw files"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line and file")
    return parser


def assess_file(
    quality: FingerQuality, path: Path, ppi: int | None, size: tuple[int, int] | None
) -> Outcome:
    """One file's finger assessment, or the reason it could not be read, with the time it took."""
    start = time.perf_counter()
    try:
        loaded = load_image(path, size)
        resolution = ppi if ppi is not None else (loaded.ppi or 500)
        assessment = quality.assess(loaded.pixels, resolution)
    except FingerprintImageError as error:
        return Outcome(path=str(path), error=str(error))
    except OSError as error:
        return Outcome(path=str(path), error=error.strerror or str(error))
    return Outcome(path=str(path), assessment=assessment, ms=(time.perf_counter() - start) * 1000)


def main(argv: list[str]) -> int:
    """`kit-quality finger`: a line or JSON per file; returns the exit code."""
    args = _parser().parse_args(argv)
    quality = FingerQuality()
    outcomes = []
    for path in args.paths:
        outcome = assess_file(quality, path, args.ppi, args.size)
        outcomes.append(outcome)
        if args.json:
            print(json.dumps(outcome.as_json()), flush=True)
    if not args.json:
        _print_table(outcomes)
    return 1 if any(outcome.assessment is None for outcome in outcomes) else 0


def _print_table(outcomes: list[Outcome]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="fingerprint quality (NFIQ 2-aligned)")
    for column in ("path", "score", "feedback", "ms"):
        table.add_column(column)
    for outcome in outcomes:
        if outcome.assessment is None:
            table.add_row(outcome.path, "-", f"[red]error: {outcome.error}[/red]", "-")
            continue
        feedback = ", ".join(str(code) for code in outcome.assessment.feedback) or "ok"
        table.add_row(outcome.path, str(outcome.assessment.score), feedback, f"{outcome.ms:.1f}")
    Console().print(table)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

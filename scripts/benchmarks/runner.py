"""Runs the benchmark modules in this folder and reports their figures against the targets.

Each module `bench_*.py` defines `run(ctx: Context) -> list[Figure]`. Figures are measurements, not
assertions: a missed target is shown, and `--strict` turns it into exit code 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import traceback
from pathlib import Path
from types import ModuleType

from figures import Context, Figure

HERE = Path(__file__).resolve().parent


def load_modules(only: set[str]) -> list[tuple[str, ModuleType]]:
    modules = []
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append((name, module))
    return modules


def main() -> int:
    parser = argparse.ArgumentParser(prog="./scripts/bench", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--soak", action="store_true", help="also run the long soak runs")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    ctx = Context(repo_root=HERE.parent.parent, soak=args.soak)
    figures: list[Figure] = []
    errors: list[dict[str, str]] = []
    for name, module in load_modules({n for n in args.only.split(",") if n}):
        try:
            figures.extend(module.run(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            errors.append({"benchmark": name, "error": f"{type(exc).__name__}: {exc}"})
            if not args.json:
                traceback.print_exc()

    if args.json:
        print(json.dumps({"figures": [f.as_dict() for f in figures], "errors": errors}, indent=2))
    else:
        print_table(figures, errors)
    missed = [f for f in figures if f.met is False]
    return 1 if errors or (args.strict and missed) else 0


def print_table(figures: list[Figure], errors: list[dict[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="kitd benchmarks")
    for column in ("benchmark", "figure", "value", "target", "met"):
        table.add_column(column)
    for f in figures:
        met = "-" if f.met is None else ("yes" if f.met else "NO")
        table.add_row(f.group, f.name, f"{f.value:.4g} {f.unit}", f.target_text, met)
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table)
    for e in errors:
        console.print(f"[red]{e['benchmark']} failed: {e['error']}[/red]")


if __name__ == "__main__":
    sys.exit(main())

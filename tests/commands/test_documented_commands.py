"""Every command README.md and docs/ show runs as written, from the repository root of a checkout whose
shell has no `.venv` on its PATH (a new user's): the README cannot drift from the code.

A command is a line of a shell code block, or a code span in a table, that starts with `./scripts/`,
`.venv/bin/` or a console script of pyproject.toml. Each runs in its cheapest harmless form: the program
and its subcommand with `--help` (pytest collects the tests it names instead), so a command the docs show
with real arguments (`--real ../shared/data/...`) is checked without doing the work. It must end with
status 0 and print no traceback. Every executable in scripts/ answers `--help` the same way, and the docs
run a script only as `./scripts/NAME`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
CONSOLE_SCRIPTS = frozenset(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
)
SHELL_BLOCKS = frozenset({"", "sh", "bash", "shell", "console"})
DRAWING = re.compile(r"[─│┌┐└┘├┤┬┴┼▼▲]")
CODE_SPAN = re.compile(r"`([^`]+)`")
SUBCOMMAND = re.compile(r"^[a-z][a-z0-9_-]*$")
SCRIPT_THROUGH_PYTHON = re.compile(r"(?:\bpython3?|\.venv/bin/python)\s+(?:\./)?scripts/")


@dataclass(frozen=True)
class Documented:
    """A command as a document prints it."""

    text: str
    where: str


def is_command(text: str) -> bool:
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    return first.startswith(("./scripts/", ".venv/bin/")) or first in CONSOLE_SCRIPTS


def code_blocks(markdown: str) -> Iterator[list[tuple[int, str]]]:
    """The shell code blocks, fenced or indented, as (line number, line) with continuation lines joined."""
    block: list[tuple[int, str]] = []
    language: str | None = None  # of the fenced block the line is in
    indented = False  # the line is in an indented block
    previous_blank = True
    pending = ""
    for number, line in enumerate(markdown.splitlines(), start=1):
        fence = re.match(r"^\s*```(\w*)", line)
        if fence:
            language = None if language is not None else fence.group(1)
        indented = language is None and line.startswith("    ") and (previous_blank or indented)
        previous_blank = not line.strip()
        if fence or not (indented or language in SHELL_BLOCKS):
            if block:
                yield block
            block = []
            continue
        text = pending + re.sub(r"\s+#.*$", "", line.strip())
        if text.endswith("\\"):
            pending = text[:-1] + " "
            continue
        pending = ""
        block.append((number, text))
    if block:
        yield block


def code_block_lines(markdown: str) -> Iterator[tuple[int, str]]:
    """The lines of the code blocks that are not drawings (which name programs in boxes and arrows)."""
    for block in code_blocks(markdown):
        if not any(DRAWING.search(text) for _, text in block):
            yield from block


def table_spans(markdown: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(markdown.splitlines(), start=1):
        if line.lstrip().startswith("|"):
            for span in CODE_SPAN.findall(line):
                yield number, span.replace("\\|", "|")


def documented_commands() -> list[Documented]:
    found: list[Documented] = []
    for document in DOCUMENTS:
        markdown = document.read_text()
        name = document.relative_to(ROOT).as_posix()
        for number, text in [*code_block_lines(markdown), *table_spans(markdown)]:
            if is_command(text):
                found.append(Documented(text.strip(), f"{name}:{number}"))
    return found


def harmless_form(command: str) -> list[str]:
    """The program, its subcommand if the command names one, and --help (pytest: collect only)."""
    words = command.split()
    program, rest = words[0], words[1:]
    if program == ".venv/bin/pytest":
        return [program, "--collect-only", "-q", *(w for w in rest if (ROOT / w).exists())]
    # Skip what stands for a choice of options ([--config FILE], …) to find the subcommand.
    depth = 0
    for word in rest:
        if depth or word.startswith("[") or word == "…":
            depth += word.count("[") - word.count("]")
            continue
        if SUBCOMMAND.match(word):
            return [program, word, "--help"]
        break
    return [program, "--help"]


def script_commands() -> list[str]:
    return sorted(
        f"./scripts/{path.name}"
        for path in (ROOT / "scripts").iterdir()
        if path.is_file() and os.access(path, os.X_OK)
    )


def forms_to_run() -> dict[str, list[str]]:
    """Each harmless form once, with where it comes from."""
    forms: dict[str, list[str]] = {}
    for documented in documented_commands():
        forms.setdefault(" ".join(harmless_form(documented.text)), []).append(documented.where)
    for script in script_commands():
        forms.setdefault(f"{script} --help", []).append("scripts/")
    return forms


FORMS = forms_to_run()


def new_users_environment() -> dict[str, str]:
    """The environment of a shell with no virtual environment active: .venv is not on the PATH."""
    venv_bin = Path(sys.prefix) / "bin"
    path = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and Path(entry).resolve() != venv_bin.resolve()
    ]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    }
    env["PATH"] = os.pathsep.join(path)
    return env


def run_from_root(argv: list[str]) -> subprocess.CompletedProcess[str]:
    program = argv[0]
    if program in CONSOLE_SCRIPTS:
        # A console script is on the PATH of whoever installed kitd; here that is .venv/bin.
        program = str(Path(sys.prefix) / "bin" / program)
    return subprocess.run(
        [program, *argv[1:]],
        cwd=ROOT,
        env=new_users_environment(),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_the_new_users_python3_is_not_the_projects() -> None:
    """Otherwise the commands below would prove nothing about `#!/usr/bin/env python3`."""
    python3 = shutil.which("python3", path=new_users_environment()["PATH"])
    assert python3 is not None
    started = subprocess.run(
        [python3, "-c", "import sys; print(sys.prefix)"],
        env=new_users_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(started.stdout.strip()).resolve() != Path(sys.prefix).resolve()


def test_the_docs_show_commands_from_every_part_of_the_kit() -> None:
    """The reader of the docs finds at least the commands the README promises, so the run below is real."""
    programs = {form.split()[0] for form in FORMS}
    assert {
        "./scripts/demo",
        "./scripts/test",
        "./scripts/wheelhouse",
        "./scripts/soak",
    } <= programs
    assert {"kitd", "kitctl", "kitsim", "kitpkg", "kit-selftest", "kit-quality"} <= programs


@pytest.mark.slow
@pytest.mark.parametrize("form", sorted(FORMS), ids=str)
def test_the_command_runs_from_the_repository_root(form: str) -> None:
    done = run_from_root(form.split())
    output = done.stdout + done.stderr
    shown = ", ".join(FORMS[form])
    assert "Traceback (most recent call last)" not in output, (
        f"{form} (shown at {shown}):\n{output}"
    )
    assert done.returncode == 0, f"{form} (shown at {shown}) exited {done.returncode}:\n{output}"


def test_a_subcommand_is_asked_for_its_own_help() -> None:
    assert harmless_form("kitctl [--config FILE] health") == ["kitctl", "health", "--help"]
    assert harmless_form("kitctl … outbox [list|status|flush] [--json]") == [
        "kitctl",
        "outbox",
        "--help",
    ]
    assert harmless_form("./scripts/soak kills --kills 200 [--seed N]") == [
        "./scripts/soak",
        "kills",
        "--help",
    ]
    assert harmless_form("./scripts/fuzz TARGET… | all --runs N") == ["./scripts/fuzz", "--help"]
    assert harmless_form("./scripts/eval-finger --real ../shared/data/x") == [
        "./scripts/eval-finger",
        "--help",
    ]


def test_the_docs_run_every_script_as_dot_scripts_name() -> None:
    through_python = [
        f"{document.relative_to(ROOT)}:{number}"
        for document in DOCUMENTS
        for number, line in enumerate(document.read_text().splitlines(), start=1)
        if SCRIPT_THROUGH_PYTHON.search(line)
    ]
    assert through_python == []


def test_fuzz_lists_its_targets_as_the_issue_ran_it() -> None:
    done = run_from_root(["./scripts/fuzz", "--list"])
    assert done.returncode == 0, done.stderr
    assert "kfp1_response" in done.stdout


def test_check_env_started_by_the_users_python3_checks_dot_venv() -> None:
    """The system's python3 starts it; it still judges .venv, which the suite runs in and which is the lock."""
    done = run_from_root(["./scripts/check-env", "--json"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {}

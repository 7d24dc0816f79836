"""The import-graph checker itself, on small synthetic packages written for each test: it finds every
kind of import the boundary tests rely on, so a clean verdict on the real tree means something."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from import_graph import Edge, crossings, graph_of, module_name, reachable

Tree = dict[str, str]


def write_tree(root: Path, files: Tree) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def edges_of(root: Path, files: Tree, *packages: str) -> list[Edge]:
    write_tree(root, files)
    return graph_of({name: root / name for name in packages})


CLEAN: Tree = {
    "daemon/__init__.py": "",
    "daemon/core.py": "import json\nfrom daemon import util\n",
    "daemon/util.py": "from collections import abc\n",
    "office/__init__.py": "from daemon.core import json\n",
}


def test_a_tree_that_keeps_its_boundary_has_no_crossing(tmp_path: Path) -> None:
    edges = edges_of(tmp_path, CLEAN, "daemon", "office")
    assert crossings(edges, ["daemon"], ["office"]) == []
    # The other way round is allowed, and seen.
    assert crossings(edges, ["office"], ["daemon"]) == [
        f"{tmp_path / 'office' / '__init__.py'}:1: office imports daemon.core",
        f"{tmp_path / 'office' / '__init__.py'}:1: office imports daemon.core.json",
    ]


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("import office\n", 1),
        ("import office.receiver as r\n", 1),
        ("from office import receiver\n", 1),
        ("from office.receiver import Receiver\n", 1),
        # Lazy, inside a function: the CLIs' habit.
        ("def run() -> None:\n    from office.receiver import Receiver\n    Receiver()\n", 2),
        # Only for the type checker: still a dependency of the source.
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import office\n", 3),
    ],
    ids=["import", "import-as", "from-package", "from-module", "lazy", "type-checking"],
)
def test_every_kind_of_import_of_the_forbidden_package_is_a_crossing(
    tmp_path: Path, source: str, line: int
) -> None:
    edges = edges_of(tmp_path, {**CLEAN, "daemon/util.py": source}, "daemon", "office")
    found = crossings(edges, ["daemon"], ["office"])
    assert found
    assert all(entry.startswith(f"{tmp_path / 'daemon' / 'util.py'}:{line}: ") for entry in found)


def test_a_relative_import_is_resolved_against_the_importing_module(tmp_path: Path) -> None:
    files = {
        **CLEAN,
        "daemon/cli/__init__.py": "from .. import util\n",
        "daemon/cli/main.py": "from ..core import json\nfrom . import tools\n",
        "daemon/cli/tools.py": "",
    }
    edges = edges_of(tmp_path, files, "daemon")
    assert {(e.importer, e.imported) for e in edges if e.importer.startswith("daemon.cli")} == {
        ("daemon.cli", "daemon"),
        ("daemon.cli", "daemon.util"),
        ("daemon.cli.main", "daemon.core"),
        ("daemon.cli.main", "daemon.core.json"),
        ("daemon.cli.main", "daemon.cli"),
        ("daemon.cli.main", "daemon.cli.tools"),
    }


def test_a_relative_import_above_the_top_level_package_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="above the top-level package"):
        edges_of(tmp_path, {**CLEAN, "daemon/util.py": "from ... import x\n"}, "daemon")


def test_a_name_that_only_starts_like_the_forbidden_package_is_not_a_crossing(
    tmp_path: Path,
) -> None:
    files = {**CLEAN, "daemon/util.py": "import officers\n", "officers/__init__.py": ""}
    assert crossings(edges_of(tmp_path, files, "daemon"), ["daemon"], ["office"]) == []


def test_an_allowed_door_may_cross_and_no_other_module(tmp_path: Path) -> None:
    files = {
        **CLEAN,
        "daemon/door.py": "def open_() -> None:\n    import office\n",
        "daemon/util.py": "import office\n",
    }
    edges = edges_of(tmp_path, files, "daemon")
    assert crossings(edges, ["daemon"], ["office"], allowed_importers=["daemon.door"]) == [
        f"{tmp_path / 'daemon' / 'util.py'}:1: daemon.util imports office"
    ]


def test_what_a_module_loads_follows_imports_through_other_modules(tmp_path: Path) -> None:
    files = {
        **CLEAN,
        "daemon/serve.py": "from daemon import core\n",
        "daemon/core.py": "def later() -> None:\n    from daemon.cli import door\n",
        "daemon/cli/__init__.py": "",
        "daemon/cli/door.py": "import office.receiver\n",
    }
    loaded = reachable(edges_of(tmp_path, files, "daemon", "office"), "daemon.serve")
    assert {"daemon.core", "daemon.cli", "daemon.cli.door", "office", "office.receiver"} <= loaded
    assert "daemon.util" not in loaded


def test_a_module_is_named_by_its_path_in_the_package(tmp_path: Path) -> None:
    folder = tmp_path / "daemon"
    assert module_name("daemon", folder, folder / "__init__.py") == "daemon"
    assert module_name("daemon", folder, folder / "cli" / "__init__.py") == "daemon.cli"
    assert module_name("daemon", folder, folder / "cli" / "main.py") == "daemon.cli.main"

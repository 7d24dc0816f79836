"""The import graph of top-level packages, read from their source with `ast` (nothing is imported).

Every `import` and `from … import` counts, wherever it stands: at the top, inside a function (the lazy
imports that keep the CLIs light), under `if TYPE_CHECKING`. Relative imports are resolved against the
importing module. `from a.b import c` counts as importing `a.b` and `a.b.c`, since `c` may be a module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Edge:
    """One import: which module imports what, and on which line of which file."""

    importer: str
    imported: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported}"


def module_name(package: str, folder: Path, path: Path) -> str:
    """The dotted name of `path`, a file of the package `package` whose source is `folder`."""
    parts = list(path.relative_to(folder).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def _resolve(importer: str, *, is_package: bool, level: int, module: str | None) -> str:
    """The absolute module a relative `from` import names (`level` dots, then `module`)."""
    base = importer.split(".")
    # A package's own __init__ is its level-1 anchor; a plain module's is its parent package.
    keep = len(base) - level + (1 if is_package else 0)
    if keep < 1:
        raise ValueError(f"{importer}: a relative import goes above the top-level package")
    return ".".join([*base[:keep], *([module] if module else [])])


def _edges_of(importer: str, path: Path, *, is_package: bool) -> Iterable[Edge]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Edge(importer, alias.name, path, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                source = _resolve(
                    importer, is_package=is_package, level=node.level, module=node.module
                )
            yield Edge(importer, source, path, node.lineno)
            for alias in node.names:
                if alias.name != "*":
                    yield Edge(importer, f"{source}.{alias.name}", path, node.lineno)


def package_edges(package: str, folder: Path) -> list[Edge]:
    """Every import made by the modules of the package `package`, whose source is `folder`."""
    edges: list[Edge] = []
    for path in sorted(folder.rglob("*.py")):
        importer = module_name(package, folder, path)
        edges.extend(_edges_of(importer, path, is_package=path.name == "__init__.py"))
    return edges


def graph_of(packages: Mapping[str, Path]) -> list[Edge]:
    """The imports made by every module of the given packages (name -> source folder)."""
    return [edge for name, folder in packages.items() for edge in package_edges(name, folder)]


def within(module: str, names: Iterable[str]) -> bool:
    """Whether `module` is one of `names` or inside one of them (a package and its submodules)."""
    return any(module == name or module.startswith(f"{name}.") for name in names)


def crossings(
    edges: Iterable[Edge],
    importers: Iterable[str],
    forbidden: Iterable[str],
    *,
    allowed_importers: Iterable[str] = (),
) -> list[str]:
    """The imports by modules inside `importers` (except `allowed_importers`) of anything inside
    `forbidden`, one line each; an empty list when the boundary holds."""
    importers, forbidden, allowed = tuple(importers), tuple(forbidden), tuple(allowed_importers)
    return sorted(
        {
            str(edge)
            for edge in edges
            if within(edge.importer, importers)
            and not within(edge.importer, allowed)
            and within(edge.imported, forbidden)
        }
    )


def reachable(edges: Iterable[Edge], start: str) -> set[str]:
    """Every module `start` loads, directly or through the modules it imports (lazy imports too),
    among the modules the edges know of: `start` itself included."""
    imports: dict[str, set[str]] = {}
    for edge in edges:
        imports.setdefault(edge.importer, set()).add(edge.imported)
    seen = {start}
    todo = [start]
    while todo:
        for imported in imports.get(todo.pop(), ()):
            # `import a.b.c` loads a and a.b too: each enclosing package's __init__ runs first.
            parts = imported.split(".")
            for end in range(1, len(parts) + 1):
                name = ".".join(parts[:end])
                if name not in seen:
                    seen.add(name)
                    todo.append(name)
    return seen

"""The daemon's module boundaries, read from the import statements of the source itself.

The daemon never imports the simulators (only the CLIs' one door, kitd/cli/simulators.py, may), and
the outbox never reaches the parts of kitd.package that decrypt, nor the back office; the console is
a client: it imports kit.v1 and kitd.client only, and the daemon never imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import kitd

KITD = Path(kitd.__file__).parent
SIMULATOR_DOOR = KITD / "cli" / "simulators.py"


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def importers(
    folder: Path, forbidden: tuple[str, ...], *, except_: Path | None = None
) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        if path == except_:
            continue
        bad = sorted(m for m in imported_modules(path) if m in forbidden or m.startswith(forbidden))
        if bad:
            found.append(f"{path.relative_to(KITD.parent)}: {', '.join(bad)}")
    return found


def test_no_daemon_module_imports_the_simulators() -> None:
    assert SIMULATOR_DOOR.exists()
    assert importers(KITD, ("kitsim",), except_=SIMULATOR_DOOR) == []


def test_the_simulator_door_is_the_one_module_that_imports_kitsim() -> None:
    assert any(m.startswith("kitsim") for m in imported_modules(SIMULATOR_DOOR))


def test_the_outbox_imports_neither_the_package_opener_nor_the_back_office() -> None:
    forbidden = ("kitd.package.opener", "kitd.package.hpke", "kitd.backoffice")
    assert importers(KITD / "outbox", forbidden) == []


def test_the_package_writer_never_imports_the_outbox() -> None:
    # Writing a package and queueing it meet in the sealing step (kitd/sealing.py), not here.
    assert importers(KITD / "package", ("kitd.outbox",)) == []


def test_no_module_outside_the_session_reaches_into_its_decisions() -> None:
    # Others read a visit through kitd.session.view (finger_exceptions, signature_waiver, ...).
    session = KITD / "session"
    outside = [
        str(path.relative_to(KITD.parent))
        for path in sorted(KITD.rglob("*.py"))
        if session not in path.parents
        and any(
            isinstance(node, ast.Attribute) and node.attr in {"decisions", "_decisions"}
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        )
    ]
    assert outside == []


def test_the_daemon_never_imports_the_console() -> None:
    assert importers(KITD, ("console",)) == []


def test_the_console_is_a_client_like_any_other() -> None:
    # kit.v1 and the client library only: no daemon internals, devices or simulators.
    console = KITD.parent / "console"
    outside = []
    for path in sorted(console.rglob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in {"kitd", "hal", "kitsim"} and not module.startswith("kitd.client"):
                outside.append(f"{path.relative_to(KITD.parent)}: {module}")
    assert outside == []

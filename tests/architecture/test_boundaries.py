"""Which part of the tree may import which, read from the source itself (import_graph.py: every import,
lazy ones inside functions too). Run it alone with `.venv/bin/pytest tests/architecture`.

* The kit (`kitd`, `hal`, `console`) never imports the back office (`backoffice`): what runs on the
  board and what runs at the town hall stay apart, and the board's wheel can leave the back office out.
* The daemon never imports the simulators: production and CI differ only in configuration. The CLIs'
  one door, kitd/cli/simulators.py, imports kitsim lazily for `kitctl enroll --auto` and
  `kit-selftest --sim`; nothing `kitd serve` loads reaches it.
* Nothing on the kit or at the back office imports the harness (`kitharness`), which only CI, the demo,
  the soaks and the benchmarks use.
* `hal` is below the daemon: it imports neither kitd nor the console, the back office or kitsim.
* The back office reads what kits wrote with kitd's formats; it imports no device, simulator or console.
* The package writer never imports the outbox (the sealing step joins them); no module outside
  kitd/session reads a session's decisions (others read a SessionView).
* The outbox never reaches the parts of kitd.package that decrypt, nor the back office; the console is
  a client: it imports kit.v1 and kitd.client only, and the daemon never imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from import_graph import Edge, crossings, graph_of, reachable, within

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "kitd": ROOT / "kitd",
    "hal": ROOT / "hal",
    "console": ROOT / "console",
    "backoffice": ROOT / "backoffice",
    "kitsim": ROOT / "firmware-sims" / "kitsim",
    "kitharness": ROOT / "kitharness",
}
KIT = ("kitd", "hal", "console")
SIMULATOR_DOOR = "kitd.cli.simulators"


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return graph_of(PACKAGES)


def test_the_kit_never_imports_the_back_office(edges: list[Edge]) -> None:
    assert crossings(edges, KIT, ["backoffice"]) == []


def test_nothing_on_the_kit_or_at_the_back_office_imports_the_harness(edges: list[Edge]) -> None:
    # kitharness starts kits for tests, the demo, soaks and benchmarks; the board's wheel leaves it out.
    assert crossings(edges, [*KIT, "backoffice"], ["kitharness"]) == []


def test_the_back_office_needs_no_device_simulator_or_console(edges: list[Edge]) -> None:
    # It reads what the kit wrote, with the formats of kitd; it never drives a device.
    assert crossings(edges, ["backoffice"], ["hal", "kitsim", "console"]) == []


def test_the_back_office_is_where_the_opener_and_the_receiver_are(edges: list[Edge]) -> None:
    # The boundary above is worth something only while the back office's modules exist under that name.
    importers = {edge.importer for edge in edges}
    assert {"backoffice.opener", "backoffice.receiver", "backoffice.cli"} <= importers


def test_no_daemon_module_imports_the_simulators(edges: list[Edge]) -> None:
    assert crossings(edges, ["kitd"], ["kitsim"], allowed_importers=[SIMULATOR_DOOR]) == []


def test_the_simulator_door_is_the_one_module_that_imports_kitsim(edges: list[Edge]) -> None:
    assert crossings(edges, [SIMULATOR_DOOR], ["kitsim"]) != []


def test_nothing_kitd_serve_loads_reaches_the_simulators_the_back_office_or_the_console(
    edges: list[Edge],
) -> None:
    loaded = reachable(edges, "kitd.cli.daemon")
    assert "kitd.kit" in loaded  # the composition root: the walk went through the daemon
    assert (
        sorted(m for m in loaded if within(m, ["kitsim", "backoffice", "console", "kitharness"]))
        == []
    )
    assert SIMULATOR_DOOR not in loaded


def test_hal_imports_neither_the_daemon_nor_anything_above_it(edges: list[Edge]) -> None:
    assert crossings(edges, ["hal"], ["kitd", "console", "backoffice", "kitsim"]) == []


def test_the_outbox_imports_neither_the_package_opener_nor_the_back_office(
    edges: list[Edge],
) -> None:
    forbidden = ("kitd.package.hpke", "backoffice")
    assert crossings(edges, ["kitd.outbox"], forbidden) == []


def test_the_package_writer_never_imports_the_outbox(edges: list[Edge]) -> None:
    # Writing a package and queueing it meet in the sealing step (kitd/sealing.py), not here.
    assert crossings(edges, ["kitd.package"], ["kitd.outbox"]) == []


def test_no_module_outside_the_session_reaches_into_its_decisions() -> None:
    # Others read a visit through kitd.session.view (finger_exceptions, signature_waiver, ...).
    kitd = PACKAGES["kitd"]
    session = kitd / "session"
    outside = [
        str(path.relative_to(ROOT))
        for path in sorted(kitd.rglob("*.py"))
        if session not in path.parents
        and any(
            isinstance(node, ast.Attribute) and node.attr in {"decisions", "_decisions"}
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        )
    ]
    assert outside == []


def test_the_daemon_never_imports_the_console(edges: list[Edge]) -> None:
    assert crossings(edges, ["kitd"], ["console"]) == []


def test_the_console_is_a_client_like_any_other(edges: list[Edge]) -> None:
    # kit.v1 and the client library only: no daemon internals, devices or simulators.
    outside = [
        str(edge)
        for edge in edges
        if within(edge.importer, ["console"])
        and within(edge.imported, ["kitd", "hal", "kitsim", "backoffice"])
        and not within(edge.imported, ["kitd.client"])
    ]
    assert outside == []

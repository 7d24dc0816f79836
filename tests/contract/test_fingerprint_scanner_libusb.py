"""The FingerprintScanner contract again, on the production transport: pyusb's libusb1 backend on a
`/dev/bus/usb` node, under umockdev-run.

The contract suite first runs on the simulator in a process of its own, every test with its own
simulator recording the test's session (a usbmon capture and the reader's umockdev description, made
here, never kept in the repository). Then each test runs again, each in its own process, on
`kfp1+usb://1d6b:0104?serial=…` with umockdev replaying its recording. Both runs must pass and must have
seen the same identity and the same pixels. A change in the driver's wire behaviour fails the first run
as the simulator run does; a fault on the libusb side (descriptors from sysfs, string lookups, usbfs
transfers, stalls, errno mapping) fails the second.
"""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from support.umockdev import Recording, failure, pytest_argv, run, umockdev_command

CONTRACT = Path(__file__).with_name("test_fingerprint_scanner.py")
NODE = CONTRACT.relative_to(CONTRACT.parents[2]).as_posix()


def _contract_tests() -> list[str]:
    tree = ast.parse(CONTRACT.read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The contract suite on the simulator, recording: the folder, and each test's failure ("" = passed)."""
    folder = tmp_path_factory.mktemp("usb")
    report = folder / "junit.xml"
    result = run(
        [*pytest_argv(NODE), f"--junitxml={report}"],
        env={"KITD_USB_RECORD": str(folder)},
        timeout=900.0,
    )
    if not report.exists():
        pytest.fail("the recording run did not report:\n" + failure(result))
    outcomes: dict[str, str] = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        name = case.get("name", "").removesuffix("[sim]")
        problems = [c for c in case if c.tag in ("failure", "error", "skipped")]
        outcomes[name] = "\n".join(f"{p.tag}: {p.get('message')}\n{p.text}" for p in problems)
    return folder, outcomes


@pytest.mark.slow
@pytest.mark.parametrize("contract_test", _contract_tests())
def test_the_contract_holds_on_libusb_replaying_the_simulator(
    contract_test: str, recorded: tuple[Path, dict[str, str]]
) -> None:
    folder, outcomes = recorded
    assert contract_test in outcomes, f"{contract_test} did not run on the simulator"
    assert not outcomes[contract_test], "on the simulator, recording:\n" + outcomes[contract_test]
    recording = Recording(folder / contract_test)
    assert recording.pcap.stat().st_size > 24, "the simulator recorded no transfer"

    replayed = run(
        umockdev_command(
            *pytest_argv(f"{NODE}::{contract_test}[replay]"),
            description=recording.description,
            pcap=recording.pcap,
        ),
        env={"KITD_USB_REPLAY": str(recording.folder)},
    )
    assert replayed.returncode == 0, "on libusb under umockdev replay:\n" + failure(replayed)
    assert "1 passed" in replayed.stdout, replayed.stdout
    assert recording.notes("replay") == recording.notes("sim")

"""The test kit cleans up after a start that fails: no simulator process outlives it."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.kit import KitUnderTest


def test_a_kit_whose_daemon_refuses_to_start_stops_its_simulators(tmp_path: Path) -> None:
    kit = KitUnderTest(tmp_path, devices=("camera",), extra_config="\n[no_such_section]\n")
    with pytest.raises(RuntimeError, match="did not become ready") as caught:
        kit.start()
    assert "no_such_section" in str(caught.value)  # the daemon's own word on its config
    assert kit.sims.processes == {}

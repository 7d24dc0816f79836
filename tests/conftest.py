"""Suite-wide fixtures and markers.

`reference` tests read the public reference data in ../shared/data next to the checkout and are skipped
when it is absent; `hardware` tests need a real device and run only with KITD_HARDWARE=1.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    no_reference = pytest.mark.skip(reason="reference data (../shared/data) not present")
    no_hardware = pytest.mark.skip(reason="set KITD_HARDWARE=1 with a real device attached")
    for item in items:
        if "reference" in item.keywords and not SHARED_DATA.is_dir():
            item.add_marker(no_reference)
        if "hardware" in item.keywords and os.environ.get("KITD_HARDWARE") != "1":
            item.add_marker(no_hardware)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference data folder; only for tests marked `reference`."""
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT

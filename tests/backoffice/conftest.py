"""Fixtures for the reference receiver's tests: a back office (support/back_office.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.back_office import BackOffice, make_back_office


@pytest.fixture
def back_office(tmp_path: Path) -> BackOffice:
    return make_back_office(tmp_path)

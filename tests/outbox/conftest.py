"""Fixtures for the outbox tests: a back office (kitharness/back_office.py) and its running receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backoffice.receiver import PackageReceiver
from support.back_office import BackOffice, make_back_office


@pytest.fixture
def back_office(tmp_path: Path) -> BackOffice:
    return make_back_office(tmp_path)


@pytest.fixture
def receiver(back_office: BackOffice) -> Iterator[PackageReceiver]:
    running = back_office.receiver()
    running.start()
    yield running
    running.stop()

"""Fixtures for the back office's tests: a running back office (kitharness/back_office.py), and a kit
with a visit to seal for the opener, the report and kitpkg (kitharness/package_kit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitd.package.contents import VisitContents
from support.back_office import BackOffice, make_back_office
from support.package_kit import Kit, make_kit
from support.visit_factory import audit_stretch, make_visit


@pytest.fixture
def back_office(tmp_path: Path) -> BackOffice:
    return make_back_office(tmp_path)


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    return make_kit(tmp_path)


@pytest.fixture
def visit(kit: Kit, tmp_path: Path) -> VisitContents:
    return make_visit(audit_stretch(tmp_path, kit.audit))

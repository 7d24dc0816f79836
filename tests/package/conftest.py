"""Keys and visits for the package tests: a kit file key, two back-office recipients, a kit key list."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitd.package.contents import VisitContents
from support.package_kit import Kit, make_kit
from support.visit_factory import audit_stretch, make_visit


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    return make_kit(tmp_path)


@pytest.fixture
def visit(kit: Kit, tmp_path: Path) -> VisitContents:
    return make_visit(audit_stretch(tmp_path, kit.audit))

"""One kit (all three simulators + the daemon) shared by the end-to-end visit tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from support.kit import KitUnderTest
from support.visit import Visit


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KitUnderTest]:
    with KitUnderTest(tmp_path_factory.mktemp("e2e")) as running:
        yield running


@pytest.fixture
def visit_factory(kit: KitUnderTest) -> Iterator[Callable[..., Visit]]:
    visits: list[Visit] = []

    def make(profile: str = "be-eid", age: int = 40, delivery_reference: bytes = b"") -> Visit:
        visit = Visit(kit, profile, age, delivery_reference=delivery_reference)
        visits.append(visit)
        return visit

    yield make
    for visit in visits:
        visit.cancel()
    kit.ctl("camera", "scene")

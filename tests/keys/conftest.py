"""A SoftHSM2 token initialised for this test session in a temporary folder (SOFTHSM2_CONF)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from kitharness.softhsm import Token, find_softhsm_module, init_token


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    module = find_softhsm_module()
    if module is None:
        pytest.fail("SoftHSM2 is not installed; run ./scripts/setup (it installs softhsm2)")
    token = Token(module, "kitd-test", "123456")
    conf = init_token(tmp_path_factory.mktemp("softhsm"), token.label, token.pin, "654321")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    yield token
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous

"""A SoftHSM2 token initialised for this test session in a temporary folder (SOFTHSM2_CONF)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from softhsm_token import Token, find_softhsm_module


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    module = find_softhsm_module()
    if module is None:
        pytest.fail("SoftHSM2 is not installed; run ./scripts/setup (it installs softhsm2)")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    token = Token(module, "kitd-test", "123456")
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", token.label,
         "--so-pin", "654321", "--pin", token.pin],
        check=True, capture_output=True, env=os.environ.copy(),
    )  # fmt: skip
    yield token
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous

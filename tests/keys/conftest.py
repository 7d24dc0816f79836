"""A SoftHSM2 token initialised for this test session in a temporary folder (SOFTHSM2_CONF)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


@dataclass(frozen=True)
class Token:
    module: Path
    label: str
    pin: str


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    module = next((Path(p) for p in MODULE_CANDIDATES if Path(p).exists()), None)
    if module is None or shutil.which("softhsm2-util") is None:
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

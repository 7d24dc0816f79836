"""Policies name their guidance by message id, checked when they load; kitd.toml names the default
language, checked at start."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kitd.config import ConfigError, parse_config
from kitd.policy.loader import PolicyError, builtin_policy_files, parse_policy


def be_eid_table() -> dict:  # type: ignore[type-arg]
    path = next(p for p in builtin_policy_files() if p.name == "be-eid.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_a_policy_guidance_that_is_no_message_id_is_refused_at_load() -> None:
    table = be_eid_table()
    table["fingers"]["duplicate_check"]["guidance"] = "This looks like the {matched} again."
    with pytest.raises(PolicyError, match="unknown message id"):
        parse_policy(table)


def test_a_policy_guidance_whose_text_wants_other_parameters_is_refused_at_load() -> None:
    table = be_eid_table()
    table["fingers"]["duplicate_check"]["guidance"] = "finger.delivery.mismatch"  # wants {finger}
    with pytest.raises(PolicyError, match="finger"):
        parse_policy(table)


def test_the_builtin_policy_guidance_loads() -> None:
    policy = parse_policy(be_eid_table())
    assert policy.fingers.duplicate_check.guidance == "finger.duplicate"


def config(tmp_path: Path, locale: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    table: dict = {"kit_id": "BE-KIT-TEST", "state_dir": str(tmp_path / "state")}  # type: ignore[type-arg]
    if locale is not None:
        table["locale"] = locale
    return parse_config(table, base_dir=tmp_path)


def test_the_default_language_is_english_unless_configured(tmp_path: Path) -> None:
    assert config(tmp_path).locale.default == "en"
    assert config(tmp_path, {"default": "nl"}).locale.default == "nl"
    assert config(tmp_path, {"default": "fr-BE"}).locale.default == "fr-BE"


def test_a_default_language_without_a_catalog_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"locale\.default"):
        config(tmp_path, {"default": "it"})


def test_the_boards_configuration_speaks_dutch() -> None:
    shipped = Path(__file__).resolve().parents[2] / "systemd" / "kitd.toml"
    assert tomllib.loads(shipped.read_text(encoding="utf-8"))["locale"]["default"] == "nl"

"""The configuration is checked whole at start; every mistake names its key and exits with 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kitd.config import ConfigError, load_config
from support.daemon import write_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kitd.toml"
    path.write_text(text)
    return path


MINIMAL = 'kit_id = "K1"\nstate_dir = "state"\n'


def test_minimal_config_gets_defaults_and_resolves_paths_against_its_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.kit_id == "K1"
    assert config.state_dir == tmp_path / "state"
    assert config.token_file == tmp_path / "state" / "api-token"
    assert config.devices == {}


def test_device_sources_are_accepted_per_kind(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            MINIMAL
            + '[devices.camera]\nsource = "opencv:http://127.0.0.1:8080/stream.mjpg"\n'
            + '[devices.fingerprint]\nsource = "kfp1+sim:unix:/tmp/fp.usb"\n'
            + '[devices.signature_pad]\nsource = "framed:socket://127.0.0.1:7001"\n',
        )
    )
    assert set(config.devices) == {"camera", "fingerprint", "signature_pad"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + "colour = 1\n", "unknown key 'colour'"),
        (MINIMAL + "[api]\nsockett = 'x'\n", "unknown key 'api.sockett'"),
        ('state_dir = "s"\n', "missing key 'kit_id'"),
        ('kit_id = 3\nstate_dir = "s"\n', "'kit_id' must be a str"),
        (MINIMAL + "[api]\nworkers = 'many'\n", "'api.workers' must be a int"),
        (MINIMAL + "[api]\nstreams_per_caller = 0\n", "streams_per_caller must be >= 1"),
        (MINIMAL + '[devices.camera]\nsource = "nonsense"\n', "devices.camera.source"),
        (MINIMAL + '[devices.camera]\nsource = "warp:/dev/x"\n', "unknown driver 'warp'"),
        (MINIMAL + '[devices.camera]\nsource = "framed:/dev/ttyACM0"\n', "must be a camera"),
        (
            MINIMAL + '[devices.fingerprint]\nsource = "kfp1+usb://zz:qq"\n',
            "devices.fingerprint.source: .*expected //VID:PID",
        ),
        (
            MINIMAL + '[devices.fingerprint]\nsource = "kfp1+sim:/tmp/fp.usb"\n',
            "devices.fingerprint.source: .* the sim transport takes unix:PATH",
        ),
        (
            MINIMAL + '[devices.camera]\nsource = "opencv:/dev/video0?w=wide"\n',
            "devices.camera.source: .* option w='wide' is not an integer",
        ),
        (
            MINIMAL + '[devices.signature_pad]\nsource = "framed:/dev/ttyACM0?baud=fast"\n',
            "devices.signature_pad.source: .* option baud='fast' is not an integer",
        ),
        (
            MINIMAL + '[devices.printer]\nsource = "framed:/dev/ttyACM0"\n',
            "unknown device 'devices.printer'",
        ),
        (
            MINIMAL + '[devices.camera]\nsource = "opencv:/dev/v?w=1"\nspeed = 2\n',
            "devices.camera.speed",
        ),
        (MINIMAL + '[api]\ntcp = "0.0.0.0:7443"\n', "api.tcp needs mutual TLS"),
        (MINIMAL + '[api]\ntls_cert = "missing.crt"\n', "api.tls_cert: file"),
        (MINIMAL + '[logging]\nlevel = "chatty"\n', "logging.level"),
        ("kit_id = \n", "not valid TOML"),
    ],
)
def test_bad_configuration_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("?", r"\?")):
        load_config(write(tmp_path, text))


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def run_kitd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kitd.cli.daemon", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_with_an_unknown_key_exits_2_naming_it(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL + "[api]\nsockett = 'x'\n")
    result = run_kitd("serve", "--config", str(config))
    assert result.returncode == 2
    assert "api.sockett" in result.stderr


def test_serve_with_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = run_kitd("serve", "--config", str(tmp_path / "absent.toml"))
    assert result.returncode == 2
    assert "not found" in result.stderr


def test_check_config_refuses_a_bad_usb_source_with_exit_2_naming_its_key(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL + '[devices.fingerprint]\nsource = "kfp1+usb://zz:qq"\n')
    result = run_kitd("check-config", "--config", str(config))
    assert result.returncode == 2
    assert "devices.fingerprint.source" in result.stderr
    assert "expected //VID:PID" in result.stderr


def test_check_config_accepts_the_test_configuration(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"signature_pad": "framed:socket://127.0.0.1:9"})
    result = run_kitd("check-config", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "signature_pad" in result.stdout


def test_example_configuration_in_systemd_folder_is_valid(repo_root: Path) -> None:
    config = load_config(repo_root / "systemd" / "kitd.toml")
    assert set(config.devices) == {"camera", "fingerprint", "signature_pad"}

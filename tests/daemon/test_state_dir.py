"""The state directory is born 0700 whichever command creates it, and `kitd serve` refuses a wider one."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from support.daemon import write_config


def run_kitd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kitd.cli.daemon", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=lambda: os.umask(0o022),  # the usual umask: folders would be born 0755
    )


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keygen_creates_the_state_dir_and_keys_folder_0700(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run_kitd("keygen", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert mode_of(tmp_path / "state") == 0o700
    assert mode_of(tmp_path / "state" / "keys") == 0o700


def test_keygen_creates_missing_parents_of_the_state_dir_0700(tmp_path: Path) -> None:
    config = tmp_path / "kitd.toml"
    config.write_text('kit_id = "K1"\nstate_dir = "deep/er/state"\n')
    result = run_kitd("keygen", "--config", str(config))
    assert result.returncode == 0, result.stderr
    for path in (tmp_path / "deep", tmp_path / "deep" / "er", tmp_path / "deep" / "er" / "state"):
        assert mode_of(path) == 0o700, path


@pytest.mark.parametrize(("folder", "mode"), [("", 0o755), ("keys", 0o750), ("outbox", 0o704)])
def test_serve_refuses_a_state_folder_open_to_others_naming_path_and_mode(
    tmp_path: Path, folder: str, mode: int
) -> None:
    config = write_config(tmp_path)
    assert run_kitd("keygen", "--config", str(config)).returncode == 0
    target = tmp_path / "state" / folder if folder else tmp_path / "state"
    target.mkdir(exist_ok=True)
    target.chmod(mode)
    result = run_kitd("serve", "--config", str(config))
    assert result.returncode == 2
    assert str(target) in result.stderr
    assert f"mode {mode:04o}" in result.stderr
    assert mode_of(target) == mode, "the daemon must not change the mode itself"


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a folder's owner needs root")
def test_serve_refuses_a_state_dir_owned_by_another_user(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert run_kitd("keygen", "--config", str(config)).returncode == 0
    os.chown(tmp_path / "state", 65534, -1)
    result = run_kitd("serve", "--config", str(config))
    assert result.returncode == 2
    assert "belongs to uid 65534" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a folder's owner needs root")
def test_keygen_refuses_a_state_dir_owned_by_another_user_and_writes_nothing_there(
    tmp_path: Path,
) -> None:
    # The probe: keygen wrote the key and kit-keys.json into another user's directory.
    config = write_config(tmp_path)
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    os.chown(state, 65534, -1)
    result = run_kitd("keygen", "--config", str(config))
    assert result.returncode == 2
    assert "belongs to uid 65534" in result.stderr
    assert list(state.iterdir()) == []


def test_keygen_refuses_a_state_dir_that_is_a_symlink_and_writes_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "state").symlink_to(elsewhere)
    result = run_kitd("keygen", "--config", str(config))
    assert result.returncode == 2
    assert "is not a directory" in result.stderr
    assert list(elsewhere.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a folder's owner needs root")
def test_the_socket_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    from kitd.server.listener import ListenerError, prepare_socket_path

    # Its owner could replace the socket with their own and collect every client's token.
    run = tmp_path / "run"
    run.mkdir(mode=0o750)
    os.chown(run, 65534, -1)
    with pytest.raises(ListenerError, match="belongs to uid 65534"):
        prepare_socket_path(run / "kitd.sock")


def test_a_socket_directory_it_creates_is_0750(tmp_path: Path) -> None:
    from kitd.server.listener import prepare_socket_path

    old = os.umask(0)
    try:
        prepare_socket_path(tmp_path / "run" / "kitd.sock")
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "run") == 0o750


@pytest.mark.skipif(os.geteuid() == 0, reason="root's own folders are left as they are")
def test_a_socket_directory_of_our_own_is_closed_to_0750(tmp_path: Path) -> None:
    from kitd.server.listener import prepare_socket_path

    run = tmp_path / "run"
    run.mkdir(mode=0o777)
    run.chmod(0o777)
    prepare_socket_path(run / "kitd.sock")
    assert mode_of(run) == 0o750


@pytest.mark.skipif(os.geteuid() != 0, reason="a folder of our own would be closed to 0750 instead")
@pytest.mark.parametrize("mode", [0o1777, 0o777, 0o770])
def test_a_socket_directory_others_may_write_to_is_refused_even_when_sticky(
    tmp_path: Path, mode: int
) -> None:
    from kitd.server.listener import ListenerError, prepare_socket_path

    # /tmp's 1777: another user may take the socket's name while the daemon is stopped.
    run = tmp_path / "shared"
    run.mkdir()
    run.chmod(mode)
    with pytest.raises(ListenerError, match="writable by group or others"):
        prepare_socket_path(run / "kitd.sock")
    assert mode_of(run) == mode  # and left as it was


def squatted_socket(folder: Path, owner: int) -> socket.socket:
    """Someone else's socket where the daemon's should be, listening for clients and their token."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(folder / "kitd.sock"))
    server.listen(8)
    os.chown(folder / "kitd.sock", owner, -1)
    server.settimeout(0.0)  # non-blocking
    return server


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a socket's owner needs root")
@pytest.mark.parametrize("where", ["their-folder", "shared-sticky-folder", "their-socket"])
def test_a_client_sends_no_token_to_a_socket_someone_else_could_have_put_there(
    tmp_path: Path, where: str
) -> None:
    from kitd.client import ClientSetupError, Endpoint, KitClient

    token = tmp_path / "api-token"
    token.write_text("secret-token\n")
    token.chmod(0o600)
    folder = tmp_path / "run"
    folder.mkdir(mode=0o750)
    if where == "their-folder":
        os.chown(folder, 65534, -1)
    elif where == "shared-sticky-folder":
        folder.chmod(0o1777)
    server = squatted_socket(folder, 65534 if where == "their-socket" else 0)
    try:
        with pytest.raises(ClientSetupError, match="the token is not sent there"):
            KitClient(Endpoint(folder / "kitd.sock", token))
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected
    finally:
        server.close()


def test_a_client_uses_a_socket_of_the_daemons_own(tmp_path: Path) -> None:
    from kitd.client import Endpoint, token_metadata

    token = tmp_path / "api-token"
    token.write_text("secret-token\n")
    folder = tmp_path / "run"
    folder.mkdir(mode=0o750)
    server = squatted_socket(folder, os.geteuid())
    try:
        metadata = token_metadata(Endpoint(folder / "kitd.sock", token))
    finally:
        server.close()
    assert metadata == (("authorization", "Bearer secret-token"),)

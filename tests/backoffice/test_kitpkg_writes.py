"""What `kitpkg open` and `kitpkg report` leave on the back office's disk: plaintext biometrics,
readable by their owner only, and nothing outside the folder they were told to write to."""

from __future__ import annotations

import contextlib
import io
import os
import stat
from pathlib import Path

import pytest

from backoffice import cli as kitpkg
from kitd.package.contents import VisitContents
from support.package_kit import Kit


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = kitpkg.main(list(argv))
    return status, out.getvalue()


def keys_args(kit: Kit, tmp_path: Path) -> tuple[str, ...]:
    kit.keys.save(tmp_path / "keys.json")
    return ("--key", str(kit.recipient.private_path), "--kit-keys", str(tmp_path / "keys.json"))


@pytest.fixture
def open_umask() -> object:
    # The repro ran with the usual 022: files came out 0644, readable by every local user.
    previous = os.umask(0o022)
    yield None
    os.umask(previous)


def sealed(kit: Kit, visit: VisitContents, tmp_path: Path, **seal: str) -> Path:
    """The visit sealed by the kit into a package file."""
    package = tmp_path / "p.kitpkg"
    package.write_bytes(kit.sealer.seal(visit, **seal).data)
    return package


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_open_writes_0600_files_in_a_0700_folder(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    package = sealed(kit, visit, tmp_path)
    out = tmp_path / "opened"
    status, text = run("open", str(package), *keys_args(kit, tmp_path), "--out", str(out))
    assert status == 0, text
    assert mode(out) == 0o700
    written = sorted(out.iterdir())
    assert {p.name for p in written} >= {"face.jpg", "signature.png", "audit.json"}
    assert {p.name: mode(p) for p in written} == {p.name: 0o600 for p in written}


@pytest.mark.usefixtures("open_umask")
def test_open_into_an_existing_open_folder_closes_it_first(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    package = sealed(kit, visit, tmp_path)
    out = tmp_path / "opened"
    out.mkdir(mode=0o755)
    (out / "face.jpg").write_bytes(b"old")  # an earlier file, made with the umask
    status, _ = run("open", str(package), *keys_args(kit, tmp_path), "--out", str(out))
    assert status == 0
    assert mode(out) == 0o700
    assert mode(out / "face.jpg") == 0o600


@pytest.mark.usefixtures("open_umask")
def test_report_writes_a_0600_file(kit: Kit, visit: VisitContents, tmp_path: Path) -> None:
    package = sealed(kit, visit, tmp_path)
    report = tmp_path / "reports" / "visit.html"
    status, text = run("report", str(package), *keys_args(kit, tmp_path), "--out", str(report))
    assert status == 0, text
    assert mode(report) == 0o600
    assert mode(report.parent) == 0o700


def test_a_package_id_that_climbs_out_of_out_writes_nothing_anywhere(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    # The probe: a signed package whose id is a relative path wrote ESCAPED.an2 beside --out.
    package = sealed(kit, visit, tmp_path, package_id="../ESCAPED")
    out = tmp_path / "work" / "opened"
    status, text = run("open", str(package), *keys_args(kit, tmp_path), "--out", str(out))
    assert status == 1
    assert "UnsafeName" in text
    assert not (tmp_path / "work" / "ESCAPED.an2").exists()
    assert not list(tmp_path.rglob("ESCAPED*"))
    assert not out.exists()


def test_open_does_not_follow_a_symlink_planted_in_out(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    package = sealed(kit, visit, tmp_path)
    out = tmp_path / "opened"
    out.mkdir(mode=0o700)
    target = tmp_path / "elsewhere.jpg"
    (out / "face.jpg").symlink_to(target)
    status, text = run("open", str(package), *keys_args(kit, tmp_path), "--out", str(out))
    assert status == 0, text
    assert not target.exists()
    # The link was replaced by a file of the opener's own, not written through.
    assert not (out / "face.jpg").is_symlink()
    assert mode(out / "face.jpg") == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_open_never_writes_into_a_file_another_user_left_in_out(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    # Its owner could make it readable again after the opener wrote the photo into it.
    package = sealed(kit, visit, tmp_path)
    out = tmp_path / "opened"
    out.mkdir(mode=0o700)
    planted = out / "face.jpg"
    planted.write_bytes(b"planted")
    os.chown(planted, 65534, -1)
    kept = tmp_path / "the-planted-inode"
    os.link(planted, kept)
    status, text = run("open", str(package), *keys_args(kit, tmp_path), "--out", str(out))
    assert status == 0, text
    assert kept.read_bytes() == b"planted"
    assert (out / "face.jpg").stat().st_uid == os.geteuid()
    assert mode(out / "face.jpg") == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a folder's owner needs root")
def test_open_refuses_an_out_folder_of_another_user_and_writes_nothing(
    kit: Kit, visit: VisitContents, tmp_path: Path
) -> None:
    package = sealed(kit, visit, tmp_path)
    out = tmp_path / "theirs"
    out.mkdir(mode=0o755)
    os.chown(out, 65534, -1)
    status, text = run("open", str(package), *keys_args(kit, tmp_path), "--out", str(out))
    assert status == 2
    assert "belongs to uid 65534" in text
    assert list(out.iterdir()) == []
    assert mode(out) == 0o755

"""The kit's state directory: created private, and refused when it is not.

`state_dir` holds the API token, the kit key (file backend), the outbox of sealed packages, the audit
log and the session journal. Every command that creates it (or its keys/ and outbox/ folders) creates
them 0700 through `ensure_private_dir`, whatever the umask. `kitd serve` calls `check_private` first and
does not start when one of them can be read by group or others or belongs to another user. This module
must never loosen a mode or change an owner itself: a wrong one is the operator's to look at.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_MODE = 0o700
# The folders under state_dir that hold secrets or citizens' packages.
PRIVATE_SUBDIRS = ("keys", "outbox")


class StateDirError(Exception):
    """The state directory (or a folder in it) is readable by others or owned by another user."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def ensure_private_dir(path: Path) -> Path:
    """Creates `path` and any missing parents 0700 (an existing folder is left as it is)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_MODE)
        except FileExistsError:
            continue  # created meanwhile by another process: checked by check_private
        os.chmod(folder, PRIVATE_MODE)  # mkdir's mode is filtered by the umask
    return path


def check_private(state_dir: Path) -> None:
    """Raises StateDirError when state_dir, keys/ or outbox/ is open to group/others or not ours."""
    uid = os.geteuid()
    for path in (state_dir, *(state_dir / name for name in PRIVATE_SUBDIRS)):
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue  # created 0700 at start
        if not stat.S_ISDIR(info.st_mode):
            raise StateDirError(path, "is not a directory")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise StateDirError(
                path, f"is open to group or others (mode {mode:04o}, want {PRIVATE_MODE:04o})"
            )
        if info.st_uid != uid:
            raise StateDirError(path, f"belongs to uid {info.st_uid}, not to this user ({uid})")

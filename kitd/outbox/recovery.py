"""What the outbox finds at start-up after a crash, and puts right before it serves.

Left-over `.part` files were never reported as enqueued and go; uploads cut short are pending again;
a package file renamed into packages/ but never committed (the daemon died inside enqueue) is adopted
from its plaintext header, with the visit its intent names; a file whose row says deleted goes. The
outbox audits what this returns and deletes the acknowledged packages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kitd.outbox.files import fsync_dir
from kitd.outbox.index import PackageIndex
from kitd.outbox.state import PackageState
from kitd.package.errors import PackageError
from kitd.package.header import read_header

SUFFIX = ".kitpkg"
PART_SUFFIX = ".part"


@dataclass(frozen=True)
class Recovered:
    """What recovery found: acknowledged packages still on disk, and files it adopted (id, SHA-256)."""

    acknowledged: list[str]
    adopted: list[tuple[str, str]]


def recover(
    index: PackageIndex,
    packages_dir: Path,
    tmp_dir: Path,
    *,
    on_adopted: Callable[[str, str], None] = lambda package_id, sha256: None,
) -> Recovered:
    """Puts the outbox right; `on_adopted(package_id, sha256)` runs inside the transaction that
    adopts a file (where the outbox owes its audit record).
    """
    for part in tmp_dir.glob(f"*{PART_SUFFIX}"):
        # Never renamed, so never reported as enqueued: nobody relies on it.
        part.unlink(missing_ok=True)
    fsync_dir(tmp_dir)
    # An upload cut short is retried under the same id; the receiver is idempotent.
    index.uploads_cut_short()
    known = index.states()
    intents = index.intents()
    acknowledged = [i for i, state in known.items() if state is PackageState.ACKNOWLEDGED]
    adopted: list[tuple[str, str]] = []
    for path in sorted(packages_dir.glob(f"*{SUFFIX}")):
        package_id = path.name.removesuffix(SUFFIX)
        if package_id in known and known[package_id] is not PackageState.DELETED:
            continue
        if package_id in known:
            # Deleted row, file left by a crash between unlink and fsync.
            path.unlink(missing_ok=True)
            continue
        sha256 = _adopt(index, path, package_id, intents.get(package_id, ""), on_adopted=on_adopted)
        if sha256 is not None:
            adopted.append((package_id, sha256))
    # Every intent is now either a row or nothing (never renamed): none is needed any more.
    index.drop_intents()
    return Recovered(acknowledged, adopted)


def _adopt(
    index: PackageIndex,
    path: Path,
    package_id: str,
    session_id: str,
    *,
    on_adopted: Callable[[str, str], None],
) -> str | None:
    """Inserts the row of a renamed, uncommitted file; its SHA-256, or None when the bytes are not
    the package their name says (those are left alone).
    """
    data = path.read_bytes()
    try:
        header = read_header(data)
    except PackageError:
        return None
    if header.package_id != package_id:
        return None
    sha256 = hashlib.sha256(data).hexdigest()
    with index.transaction():
        index.insert(
            header,
            sha256=sha256,
            size=len(data),
            file_name=path.name,
            session_id=session_id,
        )
        on_adopted(package_id, sha256)
    return sha256

"""A small tmpfs for the disk-full tests: the harness's (kitharness.small_disk), skipping the test
where it cannot be mounted."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitharness.small_disk import NoSmallDisk, SmallDisk
from kitharness.small_disk import small_disk as mount_small_disk

__all__ = ["SmallDisk", "small_disk"]


@contextlib.contextmanager
def small_disk(path: Path, size_mb: int) -> Iterator[SmallDisk]:
    """The harness's small disk; a test that cannot have one is skipped, saying why."""
    with contextlib.ExitStack() as stack:
        try:
            disk = stack.enter_context(mount_small_disk(path, size_mb))
        except NoSmallDisk as refused:
            pytest.skip(str(refused))
        yield disk

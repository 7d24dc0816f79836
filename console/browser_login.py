"""Handing the default browser its one-time login address without putting it on a command line.

A browser started with a URL carries it in its arguments, which every local user can read
(`/proc/PID/cmdline`, `ps`) and race the browser to use. So the address goes into a page that only this
user can read (0600, in a 0700 folder of its own) and the browser is given the page's path; the page
forwards it to the login. Nothing here is shown to a person: the forward is immediate.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_PAGE = (
    '<!doctype html>\n<html><head><meta charset="utf-8">'
    '<meta name="referrer" content="no-referrer">'
    '<meta http-equiv="refresh" content="0;url={url}"></head><body></body></html>\n'
)


def write_forward_page(folder: Path, login_url: str) -> Path:
    """A page in `folder` that forwards to `login_url`, readable by its owner only."""
    page = folder / "login.html"
    fd = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(_PAGE.format(url=html.escape(login_url, quote=True)))
    return page


@contextmanager
def browser_logged_in(login_url: str) -> Iterator[Path]:
    """Opens the default browser on a private forward page to `login_url`; the page and its folder
    are removed when the block ends (the console stops).
    """
    folder = Path(tempfile.mkdtemp(prefix="kit-console-"))  # 0700, this user's
    try:
        page = write_forward_page(folder, login_url)
        webbrowser.open(page.as_uri())
        yield page
    finally:
        shutil.rmtree(folder, ignore_errors=True)

"""Package ids: UUIDv7 (RFC 9562), so ids sort by creation time and never repeat across kits; and the
rule for every other name a package carries that may become a file name at the back office.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime

# A plain file name: no separator, no leading dot (so neither "." nor ".." nor a hidden file), short.
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def new_package_id(now: datetime) -> str:
    """A new package id: a UUIDv7 whose time is `now`."""
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)
    value = (millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))


def is_package_id(text: str) -> bool:
    """Whether `text` is a UUIDv7 written in canonical form."""
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        return False
    return parsed.version == 7 and str(parsed) == text


def is_file_name(text: str) -> bool:
    """A name that stays inside the folder it is joined to, on every file system the back office uses."""
    return bool(_FILE_NAME.fullmatch(text))

"""Outbox and uploader configuration, as one plain dataclass."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_RETENTION_DAYS = 90
DEFAULT_MIN_FREE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class OutboxConfig:
    """Where the outbox keeps its packages, where it uploads them and for how long it keeps them."""

    state_dir: Path
    # https://host:port of the back-office receiver; empty disables uploading.
    receiver_url: str = ""
    client_cert: Path | None = None
    client_key: Path | None = None
    ca_cert: Path | None = None
    # Hard ceiling: a package older than this is deleted whatever its state.
    retention_days: int = DEFAULT_RETENTION_DAYS
    min_free_bytes: int = DEFAULT_MIN_FREE_BYTES
    upload_timeout_s: float = 30.0
    backoff_initial_s: float = 5.0
    backoff_max_s: float = 900.0
    sweep_interval_s: float = 3600.0

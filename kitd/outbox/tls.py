"""The kit's side of the upload's mutual TLS: the SSL context the uploader connects with."""

from __future__ import annotations

import ssl
from pathlib import Path

from kitd.outbox.errors import UploadConfigError


def client_context(ca_cert: Path, client_cert: Path, client_key: Path) -> ssl.SSLContext:
    """The TLS context of uploads: receiver checked against `ca_cert`, the kit's certificate."""
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_cert))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(client_cert), str(client_key))
    except (OSError, ssl.SSLError) as exc:
        raise UploadConfigError(f"cannot load the upload TLS files: {exc}") from exc
    return context

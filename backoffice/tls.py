"""The receiver's side of the upload's mutual TLS: it accepts only clients of its CA."""

from __future__ import annotations

import ssl
from pathlib import Path


def server_context(ca_cert: Path, server_cert: Path, server_key: Path) -> ssl.SSLContext:
    """TLS 1.2 or later with the receiver's certificate, requiring a client certificate of `ca_cert`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca_cert))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(str(server_cert), str(server_key))
    return context

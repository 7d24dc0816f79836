"""One HTTPS PUT of a sealed package to the receiver, with mutual TLS, returning its receipt.

Errors are classified so the outbox can decide: unreachable or 5xx → retry later; 4xx → retry later too
(the operator sees the reason) but never delete; a receipt for other bytes → WrongReceipt.
"""

from __future__ import annotations

import http.client
import json
import ssl
from urllib.parse import urlsplit

from kitd.outbox.config import OutboxConfig
from kitd.outbox.contract import (
    CONTENT_TYPE,
    Receipt,
    content_digest,
    package_path,
    receipt_problem,
)
from kitd.outbox.errors import (
    ReceiverRejected,
    ReceiverUnavailable,
    UploadConfigError,
    WrongReceipt,
)
from kitd.outbox.tls import client_context


class PackageClient:
    """The uploader's HTTPS client: one PUT per package, mutual TLS, the receipt back."""

    def __init__(self, config: OutboxConfig) -> None:
        url = urlsplit(config.receiver_url)
        if url.scheme != "https" or not url.hostname:
            raise UploadConfigError(
                f"receiver URL {config.receiver_url!r} must be https://host[:port] (mutual TLS)"
            )
        if config.ca_cert is None or config.client_cert is None or config.client_key is None:
            raise UploadConfigError("uploading needs ca_cert, client_cert and client_key")
        self._host = url.hostname
        self._port = url.port or 443
        self._prefix = url.path.rstrip("/")
        self._timeout = config.upload_timeout_s
        self._context = client_context(config.ca_cert, config.client_cert, config.client_key)

    def put(self, package_id: str, data: bytes, sha256: str) -> Receipt:
        connection = http.client.HTTPSConnection(
            self._host, self._port, context=self._context, timeout=self._timeout
        )
        try:
            connection.request(
                "PUT",
                self._prefix + package_path(package_id),
                body=data,
                headers={
                    "Content-Type": CONTENT_TYPE,
                    "Content-Digest": content_digest(sha256),
                },
            )
            response = connection.getresponse()
            body = response.read()
        except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
            raise ReceiverUnavailable(
                f"cannot reach the receiver at {self._host}:{self._port}: {exc}"
            ) from exc
        finally:
            connection.close()
        if response.status >= 500:
            raise ReceiverUnavailable(f"the receiver answered {response.status}: {body[:200]!r}")
        if response.status not in (200, 201):
            raise ReceiverRejected(
                f"the receiver refused the package ({response.status}): {body[:300]!r}"
            )
        try:
            receipt = Receipt.from_json(body)
        except (ValueError, KeyError, TypeError) as exc:
            raise WrongReceipt(f"the receiver's answer is not a receipt: {body[:200]!r}") from exc
        problem = receipt_problem(receipt, package_id, sha256, len(data))
        if problem is not None:
            raise WrongReceipt(problem)
        return receipt


def receipt_json(receipt: Receipt) -> str:
    return json.dumps(json.loads(receipt.to_json()), sort_keys=True)

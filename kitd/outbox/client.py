"""One HTTPS PUT of a sealed package to the receiver, with mutual TLS, returning its receipt.

Errors are classified so the outbox can decide: unreachable or 5xx → retry later; 4xx → retry later too
(the operator sees the reason) but never delete; a receipt for other bytes, or an answer that is
not a receipt (too long, not JSON, fields of the wrong type) → WrongReceipt.

`upload_timeout_s` is also the deadline of the whole exchange: a timer shuts the socket down when it
passes, so a receiver that trickles its answer, its headers or its reading of the request one byte at
a time is cut off at it, not only one that stops (a socket's own timeout restarts with every byte).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from kitd.outbox.config import OutboxConfig
from kitd.outbox.contract import (
    CONTENT_TYPE,
    MAX_ANSWER_BYTES,
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
        deadline = _Deadline(connection, self._timeout)
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
            body = _read_answer(response, self._timeout)
            if deadline.passed:  # the read ended because the socket was shut down
                raise TimeoutError("deadline")
        except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
            if deadline.passed:
                raise ReceiverUnavailable(
                    f"the upload to {self._host}:{self._port} did not finish within "
                    f"{self._timeout:g} s; it is tried again later"
                ) from exc
            raise ReceiverUnavailable(
                f"cannot reach the receiver at {self._host}:{self._port}: {exc}"
            ) from exc
        finally:
            deadline.cancel()
            connection.close()
        if response.status >= 500:
            raise ReceiverUnavailable(f"the receiver answered {response.status}: {body[:200]!r}")
        if response.status not in (200, 201):
            raise ReceiverRejected(
                f"the receiver refused the package ({response.status}): {body[:300]!r}"
            )
        try:
            receipt = Receipt.from_json(body)
        except ValueError as exc:
            raise WrongReceipt(
                f"the receiver's answer is not a receipt ({exc}): {body[:200]!r}"
            ) from exc
        problem = receipt_problem(receipt, package_id, sha256, len(data))
        if problem is not None:
            raise WrongReceipt(problem)
        return receipt


def _read_answer(response: http.client.HTTPResponse, timeout: float) -> bytes:
    """The answer's body: WrongReceipt beyond MAX_ANSWER_BYTES, ReceiverUnavailable when it has not
    ended within `timeout` (the socket's own timeout restarts with every byte a receiver drips).
    """
    declared = response.getheader("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise WrongReceipt(f"the receiver's answer has {declared} bytes, a receipt a few hundred")
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(16 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise WrongReceipt(f"the receiver's answer is longer than {MAX_ANSWER_BYTES} bytes")
        if time.monotonic() > deadline:
            raise ReceiverUnavailable(f"the receiver's answer did not end within {timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


class _Deadline:
    """Shuts the connection's socket down when the time is up (a blocking read then ends)."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self._cancelled = False
        self.passed = False
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        with self._lock:
            if self._cancelled:
                return
            self.passed = True
            sock = self._connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
        self._timer.cancel()


def receipt_json(receipt: Receipt) -> str:
    """A receipt as JSON with sorted keys, as the outbox's index keeps it."""
    return json.dumps(json.loads(receipt.to_json()), sort_keys=True)

"""One HTTPS PUT of a sealed package to the receiver, with mutual TLS, returning its receipt.

Errors are classified so the outbox can decide: unreachable or 5xx → retry later; 4xx → retry later too
(the operator sees the reason) but never delete; a receipt for other bytes → WrongReceipt.

Every PUT is bounded: `upload_timeout_s` is the deadline of the whole exchange (a receiver that trickles
one byte at a time is cut off at it, not only one that stops), and no more than MAX_ANSWER_BYTES of
the answer are read (a receipt is a few hundred bytes; a receiver answering gigabytes must not grow the
daemon).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
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

# The most of the receiver's answer that is read: a receipt is a few hundred bytes.
MAX_ANSWER_BYTES = 64 * 1024


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
        # At the deadline the socket is shut down, whatever the exchange is waiting for.
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
            body = _read_bounded(response)
            if deadline.passed:  # the read ended because the socket was shut down
                raise TimeoutError("deadline")
        except AnswerTooLarge as exc:
            raise WrongReceipt(str(exc)) from exc
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
        except (ValueError, KeyError, TypeError) as exc:
            raise WrongReceipt(f"the receiver's answer is not a receipt: {body[:200]!r}") from exc
        problem = receipt_problem(receipt, package_id, sha256, len(data))
        if problem is not None:
            raise WrongReceipt(problem)
        return receipt


class AnswerTooLarge(http.client.HTTPException):
    """The receiver's answer is larger than any receipt."""


def _read_bounded(response: http.client.HTTPResponse) -> bytes:
    length = response.getheader("Content-Length")
    if length is not None and length.isdigit() and int(length) > MAX_ANSWER_BYTES:
        raise AnswerTooLarge(f"the receiver's answer is {int(length)} bytes, more than any receipt")
    body = response.read(MAX_ANSWER_BYTES + 1)
    if len(body) > MAX_ANSWER_BYTES:
        raise AnswerTooLarge(f"the receiver's answer is more than {MAX_ANSWER_BYTES} bytes")
    return body


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
    return json.dumps(json.loads(receipt.to_json()), sort_keys=True)

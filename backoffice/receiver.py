"""The reference back-office receiver (`kitpkg receiver`): the upload contract's other end, for tests and
demos.

It serves HTTPS with mutual TLS, opens and verifies each package (decrypt, kit signature, manifest, audit
stretch) and stores the sealed bytes, the manifest and the receipt under its own output folder, which is
back-office territory. It never stores a package it could not verify, and answers a repeated PUT of the
same bytes with the same receipt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from backoffice.opener import OpenedPackage, open_package
from backoffice.tls import server_context
from kitd.audit.errors import AuditError
from kitd.keys.key_list import KitKeyList
from kitd.outbox.contract import PACKAGES_PATH, RECEIPT_CONTENT_TYPE, Receipt, content_digest
from kitd.outbox.files import fsync_dir, write_all
from kitd.package.errors import PackageError

_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MAX_PACKAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ReceiverConfig:
    """Where the receiver listens, with which TLS files, and where it stores what it accepted."""

    out_dir: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    host: str = "127.0.0.1"
    # 0 picks a free port; read it back from PackageReceiver.port.
    port: int = 0
    name: str = "kitpkg-receiver"


class PackageReceiver:
    """The reference back-office receiver: HTTPS with mutual TLS, verifies and stores packages."""

    def __init__(
        self,
        config: ReceiverConfig,
        recipient_key: ec.EllipticCurvePrivateKey,
        kit_keys: KitKeyList,
    ) -> None:
        self.config = config
        self._recipient_key = recipient_key
        self._kit_keys = kit_keys
        self._store_lock = threading.Lock()
        self._count = threading.Condition()
        self.stored: list[str] = []
        self.requests = 0
        config.out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            """One HTTPS request to the receiver: a package PUT, answered with its receipt."""

            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, the delayed ACK adds 40 ms.
            disable_nagle_algorithm = True

            def do_PUT(self) -> None:
                receiver._handle_put(self)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer((config.host, config.port), Handler)
        self._server.daemon_threads = True
        context = server_context(config.ca_cert, config.server_cert, config.server_key)
        self._server.socket = context.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"https://{self.config.host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="kitpkg-receiver", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until `predicate` holds; it is re-checked after every answered request and `wake`."""
        with self._count:
            return self._count.wait_for(predicate, timeout)

    def wake(self) -> None:
        with self._count:
            self._count.notify_all()

    def make_receipt(self, package_id: str, sha256: str, size: int) -> Receipt:
        received_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return Receipt(package_id, sha256, size, received_at, self.config.name)

    def _handle_put(self, request: BaseHTTPRequestHandler) -> None:
        try:
            status, body = self._put(request)
        except (OSError, ValueError) as exc:
            status, body = 400, _error("bad_request", str(exc))
        request.send_response(status)
        request.send_header("Content-Type", RECEIPT_CONTENT_TYPE)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
        with self._count:
            self.requests += 1
            self._count.notify_all()

    def _put(self, request: BaseHTTPRequestHandler) -> tuple[int, bytes]:
        try:
            upload = _read_upload(request)
        except _Refused as refused:
            return refused.status, refused.body
        folder = self.config.out_dir / upload.package_id
        with self._store_lock:
            earlier = _earlier_answer(folder, upload)
        if earlier is not None:
            return earlier
        try:
            opened = open_package(upload.data, self._recipient_key, self._kit_keys)
        except (PackageError, AuditError) as exc:
            return 422, _error(type(exc).__name__, str(exc))
        if opened.header.package_id != upload.package_id:
            return 400, _error("id_mismatch", "the URL and the package header name different ids")
        return self._store(folder, upload, opened)

    def _store(self, folder: Path, upload: _Upload, opened: OpenedPackage) -> tuple[int, bytes]:
        """Stores a verified package durably, the receipt last; 201 with the receipt. When another
        request stored the package meanwhile, the answer is the one a later PUT gets (_earlier_answer).
        """
        receipt = self.make_receipt(upload.package_id, upload.sha256, len(upload.data))
        with self._store_lock:
            earlier = _earlier_answer(folder, upload)
            if earlier is not None:
                return earlier
            folder.mkdir(mode=0o700, exist_ok=True)
            fsync_dir(self.config.out_dir)
            _write_atomic(folder / "package.kitpkg", upload.data)
            _write_atomic(
                folder / "manifest.json",
                json.dumps(opened.manifest.as_dict(), indent=2, sort_keys=True).encode(),
            )
            fsync_dir(folder)
            # The receipt goes last: its presence means the package is stored. The kit deletes its
            # copy on the answer, so the answer waits until the receipt's rename is durable too.
            _write_atomic(folder / "receipt.json", receipt.to_json())
            fsync_dir(folder)
            self.stored.append(upload.package_id)
        return 201, receipt.to_json()


@dataclass(frozen=True)
class _Upload:
    """A PUT's package id (from its path) and body, with the body's SHA-256 (lowercase hex)."""

    package_id: str
    data: bytes
    sha256: str


class _Refused(Exception):
    """A request answered with an error status before its package is opened."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = _error(kind, message)


def _read_upload(request: BaseHTTPRequestHandler) -> _Upload:
    """The package a PUT carries: a UUIDv7 path, a bounded body of the announced length that matches
    its Content-Digest when it has one; _Refused otherwise.
    """
    if not request.path.startswith(PACKAGES_PATH):
        raise _Refused(404, "not_found", f"no resource {request.path}")
    package_id = request.path[len(PACKAGES_PATH) :]
    if not _ID.match(package_id):
        raise _Refused(400, "bad_id", f"{package_id!r} is not a UUIDv7 package id")
    length = int(request.headers.get("Content-Length", "-1"))
    if not 0 < length <= MAX_PACKAGE_BYTES:
        raise _Refused(411, "length", "a Content-Length up to 64 MiB is required")
    data = request.rfile.read(length)
    if len(data) != length:
        raise _Refused(400, "short_body", f"got {len(data)} of {length} bytes")
    sha256 = hashlib.sha256(data).hexdigest()
    claimed = request.headers.get("Content-Digest")
    if claimed is not None and claimed != content_digest(sha256):
        raise _Refused(400, "digest", "the body does not match its Content-Digest")
    return _Upload(package_id, data, sha256)


def _earlier_answer(folder: Path, upload: _Upload) -> tuple[int, bytes] | None:
    """The answer to a package received before: its receipt again for the same bytes (the PUT is
    idempotent), a conflict for other bytes; None for a new package.
    """
    stored = folder / "receipt.json"
    if not stored.exists():
        return None
    receipt = Receipt.from_json(stored.read_bytes())
    if receipt.sha256 == upload.sha256:
        return 200, receipt.to_json()
    return 409, _error(
        "conflict", f"package {upload.package_id} was already received with other bytes"
    )


def _error(kind: str, message: str) -> bytes:
    return json.dumps({"error": kind, "message": message}).encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    part = path.with_name(path.name + ".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)
    os.replace(part, path)

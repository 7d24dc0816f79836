"""Caller authentication: a shared token in the `authorization` metadata ("Bearer <token>").

The token lives in a 0600 file created at first start. Health and reflection answer without it, so
probes and tools like grpcurl can see that the daemon is alive and what it offers. The comparison is
constant-time; the token is never logged.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import grpc

from kitd.state_dir import ensure_private_dir

OPEN_SERVICES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
METADATA_KEY = "authorization"


class TokenFileError(Exception):
    """The token file is unusable (unreadable, empty or readable by others)."""


def load_or_create_token(path: Path) -> str:
    """Reads the token; creates it (0600, parent 0700 when new) at first start."""
    if not path.exists():
        ensure_private_dir(path.parent)
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
        return token
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise TokenFileError(
            f"{path}: token file must not be readable by others (mode {mode:o}, want 600)"
        )
    token = path.read_text().strip()
    if not token:
        raise TokenFileError(f"{path}: token file is empty")
    return token


class TokenAuthInterceptor(grpc.ServerInterceptor):
    """A gRPC interceptor that lets only calls with the kit's token through."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def holds_token(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> bool:
        """Whether a call's metadata presents the kit's token (constant-time)."""
        presented = b""
        for key, value in metadata or ():
            if key == METADATA_KEY:
                presented = value.encode() if isinstance(value, str) else bytes(value)
        return hmac.compare_digest(presented, self._expected)

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method: str = handler_call_details.method
        if method.startswith(OPEN_SERVICES):
            return continuation(handler_call_details)
        if self.holds_token(handler_call_details.invocation_metadata):
            return continuation(handler_call_details)
        handler = continuation(handler_call_details)
        return _deny(handler)


def _deny(handler: grpc.RpcMethodHandler[Any, Any] | None) -> grpc.RpcMethodHandler[Any, Any]:
    message = (
        "missing or wrong token: send 'authorization: Bearer <token from the kitd token file>'"
    )

    def abort(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    request_streaming = handler.request_streaming if handler is not None else False
    response_streaming = handler.response_streaming if handler is not None else False
    deserializer = handler.request_deserializer if handler is not None else None
    serializer = handler.response_serializer if handler is not None else None
    if request_streaming and response_streaming:
        return grpc.stream_stream_rpc_method_handler(abort, deserializer, serializer)
    if request_streaming:
        return grpc.stream_unary_rpc_method_handler(abort, deserializer, serializer)
    if response_streaming:
        return grpc.unary_stream_rpc_method_handler(abort, deserializer, serializer)
    return grpc.unary_unary_rpc_method_handler(abort, deserializer, serializer)

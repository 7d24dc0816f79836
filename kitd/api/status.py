"""Domain and device errors as gRPC statuses with a google.rpc.ErrorInfo (domain "kit.v1").

The app reads `ErrorInfo.reason` (a kit.v1.ErrorReason name) to decide what to show; the message is
plain language for the operator or the developer, in the caller's language: a servicer may offer
`error_texts(request, context)` (the session's operator language, else `accept-language`), otherwise
the message is English. An error raised with a message id also carries it as ErrorInfo metadata
`message_id`, for a front end that localizes itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from hal.errors import (
    DeviceBusy,
    DeviceError,
    DeviceFault,
    DeviceGone,
    DeviceTimeout,
    ProtocolError,
)
from kitd import errors
from kitd.config import DEVICE_KINDS
from kitd.delivery.errors import (
    ReferenceAlreadyUsed,
    ReferenceExpired,
    ReferenceMalformed,
    ReferenceNotForThisKit,
    ReferenceTampered,
    ReferenceTooLarge,
    ReferenceValidityTooLong,
    VisualCheckNotAllowed,
)
from kitd.locale.catalogs import Texts
from kitd.locale.message import Message

DOMAIN = "kit.v1"

_DOMAIN_CODES: dict[type[errors.KitError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.CapabilityMissing: grpc.StatusCode.UNIMPLEMENTED,
    errors.SessionNotFound: grpc.StatusCode.NOT_FOUND,
    errors.SessionActive: grpc.StatusCode.FAILED_PRECONDITION,
    errors.SessionLost: grpc.StatusCode.FAILED_PRECONDITION,
    errors.StepNotAllowed: grpc.StatusCode.FAILED_PRECONDITION,
    errors.PolicyViolation: grpc.StatusCode.FAILED_PRECONDITION,
    errors.AttemptNotFound: grpc.StatusCode.NOT_FOUND,
    errors.StorageFull: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.ClockUntrusted: grpc.StatusCode.FAILED_PRECONDITION,
    errors.DeviceNotFound: grpc.StatusCode.NOT_FOUND,
    errors.ShuttingDown: grpc.StatusCode.UNAVAILABLE,
    ReferenceMalformed: grpc.StatusCode.INVALID_ARGUMENT,
    ReferenceTampered: grpc.StatusCode.INVALID_ARGUMENT,
    ReferenceExpired: grpc.StatusCode.FAILED_PRECONDITION,
    ReferenceNotForThisKit: grpc.StatusCode.FAILED_PRECONDITION,
    ReferenceTooLarge: grpc.StatusCode.INVALID_ARGUMENT,
    ReferenceAlreadyUsed: grpc.StatusCode.FAILED_PRECONDITION,
    ReferenceValidityTooLong: grpc.StatusCode.FAILED_PRECONDITION,
    VisualCheckNotAllowed: grpc.StatusCode.FAILED_PRECONDITION,
}

_DEVICE_CODES: dict[type[DeviceError], tuple[grpc.StatusCode, str]] = {
    DeviceGone: (grpc.StatusCode.UNAVAILABLE, "DEVICE_GONE"),
    DeviceTimeout: (grpc.StatusCode.DEADLINE_EXCEEDED, "DEVICE_TIMEOUT"),
    DeviceBusy: (grpc.StatusCode.ABORTED, "DEVICE_BUSY"),
    ProtocolError: (grpc.StatusCode.DATA_LOSS, "PROTOCOL_ERROR"),
    DeviceFault: (grpc.StatusCode.UNAVAILABLE, "DEVICE_FAULT"),
}


def rich_status(
    code: grpc.StatusCode, reason: str, message: str, metadata: dict[str, str] | None = None
) -> grpc.Status:
    """A gRPC status with `message` and an ErrorInfo detail carrying `reason` and `metadata`."""
    info = error_details_pb2.ErrorInfo(
        reason=f"ERROR_REASON_{reason}", domain=DOMAIN, metadata=metadata or {}
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code.value[0], message=message, details=[detail])
    return rpc_status.to_status(status)


def _device_text(exc: DeviceError, reason: str, texts: Texts | None) -> str:
    """What the operator reads: which device and what to do, in their language. The driver's own words
    (English, technical) go in the status's metadata for support, never into this sentence.
    """
    if texts is None or not exc.device:
        return str(exc)
    # The configured devices have names in every language; any other name (a source) stays as it is.
    device: str | Message = (
        Message(f"device.{exc.device}") if exc.device in DEVICE_KINDS else exc.device
    )
    if isinstance(exc, errors.CaptureTimeout):
        return texts(Message.of("error.capture_timeout", device=device, advice=exc.message))
    return texts(Message.of(f"error.{reason.lower()}", device=device))


def status_for(exc: Exception, texts: Texts | None = None) -> grpc.Status | None:
    """The status for a domain or device error, its message rendered by `texts` (None: English);
    None for anything else (a bug: INTERNAL).
    """
    if isinstance(exc, errors.KitError):
        code = next(
            (c for cls, c in _DOMAIN_CODES.items() if isinstance(exc, cls)), grpc.StatusCode.UNKNOWN
        )
        if exc.message is None:
            return rich_status(code, exc.reason, str(exc), exc.metadata)
        text = texts(exc.message) if texts is not None else str(exc)
        return rich_status(code, exc.reason, text, {**exc.metadata, "message_id": exc.message.id})
    if isinstance(exc, DeviceError):
        code, reason = next(
            (found for cls, found in _DEVICE_CODES.items() if isinstance(exc, cls)),
            (grpc.StatusCode.UNAVAILABLE, "DEVICE_FAULT"),
        )
        metadata = {"device": exc.device}
        if isinstance(exc, errors.CaptureTimeout):
            metadata["message_id"] = exc.message.id
        else:
            # The driver's own words, for support: the sentence says what to do.
            metadata["detail"] = str(exc.args[0]) if exc.args else ""
        return rich_status(code, reason, _device_text(exc, reason, texts), metadata)
    return None


def _error_texts(servicer: Any, request: Any, context: grpc.ServicerContext) -> Texts | None:
    choose = getattr(servicer, "error_texts", None)
    return choose(request, context) if choose is not None else None


def abort(context: grpc.ServicerContext, exc: Exception, texts: Texts | None = None) -> NoReturn:
    """Ends the call with the status `exc` maps to; an exception with no mapping is re-raised."""
    status = status_for(exc, texts)
    if status is None:
        raise exc
    context.abort_with_status(status)
    raise AssertionError("abort_with_status returned")  # pragma: no cover - grpc raises


F = TypeVar("F", bound=Callable[..., Any])


def translated(method: F) -> F:
    """Servicer decorator: domain and device errors become rich statuses; bugs stay INTERNAL."""

    @functools.wraps(method)
    def unary(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except (errors.KitError, DeviceError) as exc:
            abort(context, exc, _error_texts(self, request, context))

    return unary  # type: ignore[return-value]


def translated_stream(method: F) -> F:
    """Like `translated`, for server-streaming methods."""

    @functools.wraps(method)
    def stream(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            yield from method(self, request, context)
        except (errors.KitError, DeviceError) as exc:
            abort(context, exc, _error_texts(self, request, context))

    return stream  # type: ignore[return-value]

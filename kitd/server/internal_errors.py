"""No untyped status leaves the server: an unexpected exception becomes INTERNAL with an error id.

A servicer translates the errors it knows (domain and device errors) into rich statuses itself; anything
else that escapes it, or escapes a response stream half way, is a bug. Instead of gRPC's UNKNOWN
"Exception calling application" / "Exception iterating responses", the caller gets INTERNAL with
ErrorInfo (reason ERROR_REASON_INTERNAL, metadata `error_id`), and the log has one record with the
same id, the method and the traceback. It must never put the exception's text in the status: that text
is for the kit's log, not for callers.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from typing import Any, NoReturn, cast

import grpc

from kitd.api.languages import CallLanguages
from kitd.api.status import rich_status
from kitd.locale.catalogs import Catalogs
from kitd.server.handlers import Behaviour, WrappingInterceptor

log = logging.getLogger("kitd.api")


class InternalErrorInterceptor(WrappingInterceptor):
    """Any exception a servicer did not expect becomes INTERNAL with an error id the log has too; the
    message is in the call's language (`accept-language`, else the kit's default).
    """

    def __init__(self, languages: CallLanguages | None = None) -> None:
        self._languages = languages or CallLanguages(Catalogs.builtin())

    def wrap(
        self,
        method: str,
        behaviour: Behaviour,
        *,
        request_streaming: bool,
        response_streaming: bool,
    ) -> Behaviour:
        def internal(context: grpc.ServicerContext, exc: Exception) -> NoReturn:
            # ServicerContext.code() exists since grpcio 1.38; the type stubs do not list it.
            if cast(Any, context).code() is not None:
                raise exc  # the servicer (or an inner interceptor) already chose the status
            error_id = secrets.token_hex(6)
            log.error(
                "unexpected error",
                exc_info=exc,
                extra={"method": method, "error_id": error_id, "error": type(exc).__name__},
            )
            context.abort_with_status(
                rich_status(
                    grpc.StatusCode.INTERNAL,
                    "INTERNAL",
                    self._languages.of_call(context).id("error.internal", error_id=error_id),
                    {"error_id": error_id},
                )
            )
            raise AssertionError("abort_with_status returned")  # pragma: no cover - grpc raises

        if response_streaming:

            def guarded_stream(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
                try:
                    yield from behaviour(request, context)
                except Exception as exc:  # noqa: BLE001 - a bug: INTERNAL with an id, never UNKNOWN
                    internal(context, exc)

            return guarded_stream

        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                return behaviour(request, context)
            except Exception as exc:  # noqa: BLE001 - a bug: INTERNAL with an id, never UNKNOWN
                internal(context, exc)

        return guarded

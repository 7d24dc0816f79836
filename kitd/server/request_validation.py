"""Request validation: every incoming message is checked against the constraints its .proto declares.

The constraints (enum values this version defines, string and bytes lengths, numeric ranges, required
ids) live in protos/kit/v1 as buf.validate annotations; this interceptor enforces them with the
protovalidate library before any servicer runs, for unary and streaming calls alike. A violation answers
INVALID_ARGUMENT with ErrorInfo (reason ERROR_REASON_INVALID_ARGUMENT, metadata `field` and `rule`), a
google.rpc.BadRequest naming every field and the buf.validate.Violations, and the daemon logs one line.
It must never log a field's value (it may be long, or a citizen's data) and never repair a request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, NoReturn

import grpc
import protovalidate
from buf.validate import validate_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from kitd.api.status import DOMAIN
from kitd.server.handlers import Behaviour, WrappingInterceptor, each_request

log = logging.getLogger("kitd.api")


def field_path(violation: validate_pb2.Violation) -> str:
    """`kinds[1]`, `session_id`, `frame.preview.data`: the path of the offending field."""
    parts: list[str] = []
    for element in violation.field.elements:
        name = element.field_name
        subscript = element.WhichOneof("subscript")
        if subscript == "index":
            name += f"[{element.index}]"
        elif subscript is not None:
            name += f"[{getattr(element, subscript)!r}]"
        parts.append(name)
    return ".".join(parts)


def invalid_argument_status(violations: list[validate_pb2.Violation]) -> grpc.Status:
    """INVALID_ARGUMENT naming each violated field and rule."""
    first = violations[0]
    message = "; ".join(f"{field_path(v)}: {v.message} ({v.rule_id})" for v in violations)
    info = error_details_pb2.ErrorInfo(
        reason="ERROR_REASON_INVALID_ARGUMENT",
        domain=DOMAIN,
        metadata={"field": field_path(first), "rule": first.rule_id},
    )
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field=field_path(v), description=v.message, reason=v.rule_id
            )
            for v in violations
        ]
    )
    details = []
    for detail in (info, bad_request, validate_pb2.Violations(violations=violations)):
        packed = any_pb2.Any()
        packed.Pack(detail)
        details.append(packed)
    status = status_pb2.Status(
        code=grpc.StatusCode.INVALID_ARGUMENT.value[0], message=message, details=details
    )
    return rpc_status.to_status(status)


class RequestValidationInterceptor(WrappingInterceptor):
    """Every request is checked against its .proto constraints before the servicer sees it."""

    def __init__(self) -> None:
        # One validator for the server: it caches the compiled rules of every message type it met.
        self._validator = protovalidate.Validator()

    def violations(self, request: Message) -> list[validate_pb2.Violation]:
        return [
            validate_pb2.Violation.FromString(v.proto.to_binary())
            for v in self._validator.collect_violations(request)
        ]

    def wrap(
        self, method: str, behaviour: Behaviour, request_streaming: bool, response_streaming: bool
    ) -> Behaviour:
        def refuse(context: grpc.ServicerContext, found: list[validate_pb2.Violation]) -> NoReturn:
            log.warning(
                "request refused",
                extra={
                    "method": method,
                    "violations": [f"{field_path(v)}: {v.rule_id}" for v in found],
                },
            )
            context.abort_with_status(invalid_argument_status(found))
            raise AssertionError("abort_with_status returned")  # pragma: no cover - grpc raises

        if request_streaming:

            def checked_stream(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
                def check(request: Any) -> None:
                    found = self.violations(request)
                    if found:
                        refuse(context, found)

                return behaviour(each_request(requests, check), context)

            return checked_stream

        if response_streaming:

            def checked_responses(request: Any, context: grpc.ServicerContext) -> Any:
                found = self.violations(request)
                if found:
                    refuse(context, found)
                yield from behaviour(request, context)

            return checked_responses

        def checked(request: Any, context: grpc.ServicerContext) -> Any:
            found = self.violations(request)
            if found:
                refuse(context, found)
            return behaviour(request, context)

        return checked

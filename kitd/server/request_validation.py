"""Request validation: every incoming message is checked against the constraints its .proto declares.

The constraints (enum values this version defines, string and bytes lengths, numeric ranges, required
ids) live in protos/kit/v1 as buf.validate annotations; this interceptor enforces them with the
protovalidate library before any servicer runs, for unary and streaming calls alike. A violation answers
INVALID_ARGUMENT with ErrorInfo (reason ERROR_REASON_INVALID_ARGUMENT, metadata `field` and `rule`), a
google.rpc.BadRequest naming every field and the buf.validate.Violations, and the daemon logs one line.
The status message says, per violation, what kind of constraint the field breaks in the caller's
language (`accept-language`), with the field path and the rule id (`validation.<kind>` ids); the
library's own English wording stays in the BadRequest descriptions.
It must never log a field's value (it may be long, or a citizen's data) and never repair a request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import grpc
import protovalidate
from buf.validate import validate_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from kitd.api.languages import CallLanguages
from kitd.api.status import DOMAIN
from kitd.locale.catalogs import Catalogs, Texts
from kitd.locale.message import Message as Text
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


# The kinds of constraint a violation's message names, by the last part of its rule id
# ("string.max_len" -> length); anything else is `invalid`.
_RULE_KINDS = {
    "required": "required",
    **dict.fromkeys(("len", "min_len", "max_len", "len_bytes", "min_bytes", "max_bytes"), "length"),
    **dict.fromkeys(("min_items", "max_items", "unique", "min_pairs", "max_pairs"), "items"),
    **dict.fromkeys(("const", "gt", "gte", "lt", "lte"), "range"),
    **dict.fromkeys(("defined_only", "in", "not_in"), "choice"),
    **dict.fromkeys(("uuid", "pattern", "prefix", "suffix", "contains", "not_contains"), "format"),
}
RULE_KINDS = frozenset({*_RULE_KINDS.values(), "invalid"})


def rule_kind(rule_id: str) -> str:
    """`length` for "string.max_len", `range` for "uint32.gt_lt", ...: the kind of a rule id."""
    last = rule_id.rsplit(".", 1)[-1]
    if last in _RULE_KINDS:
        return _RULE_KINDS[last]
    if last.startswith(("gt_", "gte_", "lt_", "lte_")):
        return "range"
    return "invalid"


def violation_message(violation: validate_pb2.Violation) -> Text:
    """What a violation breaks, for people: its kind's sentence, with the field path and rule id."""
    return Text.of(
        f"validation.{rule_kind(violation.rule_id)}",
        field=field_path(violation),
        rule=violation.rule_id,
    )


def invalid_argument_status(
    violations: list[validate_pb2.Violation], texts: Texts | None = None
) -> grpc.Status:
    """INVALID_ARGUMENT naming each violated field and rule, in `texts`' language (None: English)."""
    render = texts or Catalogs.builtin().texts("en")
    first = violations[0]
    message = "; ".join(render(violation_message(v)) for v in violations)
    info = error_details_pb2.ErrorInfo(
        reason="ERROR_REASON_INVALID_ARGUMENT",
        domain=DOMAIN,
        metadata={
            "field": field_path(first),
            "rule": first.rule_id,
            "message_id": violation_message(first).id,
        },
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

    def __init__(self, languages: CallLanguages | None = None) -> None:
        # One validator for the server: it caches the compiled rules of every message type it met.
        self._validator = protovalidate.Validator()
        self._languages = languages or CallLanguages(Catalogs.builtin())

    def violations(self, request: Message) -> list[validate_pb2.Violation]:
        return [
            validate_pb2.Violation.FromString(v.proto.to_binary())
            for v in self._validator.collect_violations(request)
        ]

    def check(self, method: str, request: Any, context: grpc.ServicerContext) -> None:
        """Ends the call with INVALID_ARGUMENT (in its language) if `request` breaks a rule."""
        found = self.violations(request)
        if not found:
            return
        log.warning(
            "request refused",
            extra={
                "method": method,
                "violations": [f"{field_path(v)}: {v.rule_id}" for v in found],
            },
        )
        context.abort_with_status(invalid_argument_status(found, self._languages.of_call(context)))
        raise AssertionError("abort_with_status returned")  # pragma: no cover - grpc raises

    def wrap(
        self,
        method: str,
        behaviour: Behaviour,
        *,
        request_streaming: bool,
        response_streaming: bool,
    ) -> Behaviour:
        if request_streaming:

            def checked_stream(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
                checked = each_request(
                    requests, lambda request: self.check(method, request, context)
                )
                return behaviour(checked, context)

            return checked_stream

        if response_streaming:

            def checked_responses(request: Any, context: grpc.ServicerContext) -> Any:
                self.check(method, request, context)
                yield from behaviour(request, context)

            return checked_responses

        def checked(request: Any, context: grpc.ServicerContext) -> Any:
            self.check(method, request, context)
            return behaviour(request, context)

        return checked

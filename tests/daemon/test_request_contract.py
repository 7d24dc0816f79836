"""Every kit.v1 request is checked against the constraints its .proto declares, over the real socket.

The walk reads the buf.validate annotations of every RPC's request message, builds a request breaking
each constraint (out-of-range enums, over-long strings, missing or malformed ids, numbers too large,
too many items) and asserts INVALID_ARGUMENT naming the field and the rule. A request field without a
constraint must be listed here, with why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from buf.validate import validate_pb2
from google.protobuf import descriptor, message, message_factory
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from kit.v1 import (
    capture_service_pb2,
    device_service_pb2,
    outbox_service_pb2,
)
from kit.v1 import capture_service_pb2 as cpb
from support.daemon import RunningDaemon, write_config

SERVICES = [
    module.DESCRIPTOR.services_by_name[name]
    for module, name in (
        (device_service_pb2, "DeviceService"),
        (capture_service_pb2, "CaptureService"),
        (outbox_service_pb2, "OutboxService"),
    )
]
# Request fields that need no constraint: every value of their type is meaningful.
UNCONSTRAINED = {
    "kit.v1.WatchDeviceEventsRequest.include_current": "a bool; both values are valid",
    "kit.v1.CheckIdentityVisuallyRequest.confirmed": "a bool; both values are valid",
    "kit.v1.RecordEligibilityRequest.certificate_shown": "a bool; both values are valid",
}
SOME_UUID = "0190b7a4-1c5e-7d2a-9f3b-8a6c5d4e3f21"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    config = write_config(tmp_path_factory.mktemp("contract"), extra="[outbox]\nmin_free_mb = 0\n")
    with RunningDaemon(config) as running:
        yield running


def field_rules(field: descriptor.FieldDescriptor) -> validate_pb2.FieldRules | None:
    options = field.GetOptions()
    if not options.HasExtension(validate_pb2.field):
        return None
    return options.Extensions[validate_pb2.field]


def first_defined_value(field: descriptor.FieldDescriptor) -> int:
    return next(v.number for v in field.enum_type.values if v.number != 0)


# (rule id the daemon must name, field path, a value that breaks it)
Case = tuple[str, str, Any]


def string_cases(
    field: descriptor.FieldDescriptor, rules: validate_pb2.FieldRules
) -> tuple[list[Case], set[str]]:
    s = rules.string
    cases: list[Case] = []
    if s.HasField("max_len"):
        cases.append(("string.max_len", field.name, "x" * (s.max_len + 1)))
    if s.uuid:
        cases.append(("string.uuid", field.name, "not-a-session-id"))
    if s.pattern:
        # The first of these the pattern refuses (RE2's syntax here is also Python's).
        refused = next(
            v for v in ("Not A Profile!", "line\nbreak", "\x1b[2J") if not re.search(s.pattern, v)
        )
        cases.append(("string.pattern", field.name, refused))
    return cases, {f.name for f, _ in s.ListFields()} - {"max_len", "uuid", "pattern"}


def bytes_cases(
    field: descriptor.FieldDescriptor, rules: validate_pb2.FieldRules
) -> tuple[list[Case], set[str]]:
    cases: list[Case] = [("bytes.max_len", field.name, b"\0" * (rules.bytes.max_len + 1))]
    return cases, {f.name for f, _ in rules.bytes.ListFields()} - {"max_len"}


def uint32_cases(
    field: descriptor.FieldDescriptor, rules: validate_pb2.FieldRules
) -> tuple[list[Case], set[str]]:
    cases: list[Case] = [("uint32.lte", field.name, rules.uint32.lte + 1)]
    return cases, {f.name for f, _ in rules.uint32.ListFields()} - {"lte"}


def enum_cases(
    field: descriptor.FieldDescriptor, rules: validate_pb2.FieldRules
) -> tuple[list[Case], set[str]]:
    assert rules.enum.defined_only
    cases: list[Case] = [("enum.defined_only", field.name, 999)]
    return cases, {f.name for f, _ in rules.enum.ListFields()} - {"defined_only"}


def repeated_cases(
    field: descriptor.FieldDescriptor, rules: validate_pb2.FieldRules
) -> tuple[list[Case], set[str]]:
    r = rules.repeated
    name = field.name
    cases: list[Case] = []
    if r.HasField("max_items"):
        cases.append(("repeated.max_items", name, [first_defined_value(field)] * (r.max_items + 1)))
    items = r.items.enum
    if items.defined_only:
        cases.append(("enum.defined_only", f"{name}[0]", [999]))
    if 0 in items.not_in:
        cases.append(("enum.not_in", f"{name}[0]", [0]))
    unknown = {f.name for f, _ in r.ListFields()} - {"max_items", "items"}
    unknown |= {f.name for f, _ in items.ListFields()} - {"defined_only", "not_in"}
    return cases, unknown


# The breaking values of each kind of rule, and the rules of that kind the walk does not know.
CASES_BY_KIND = {
    "string": string_cases,
    "bytes": bytes_cases,
    "uint32": uint32_cases,
    "enum": enum_cases,
    "repeated": repeated_cases,
}


def breaking_values(
    field: descriptor.FieldDescriptor, rules: validate_pb2.FieldRules
) -> list[Case]:
    """(rule id the daemon must name, field path, a value that breaks it) for each declared rule."""
    cases: list[Case] = []
    declared = {f.name for f, _ in rules.ListFields()}
    if rules.required:
        zero: Any = 0 if field.type == descriptor.FieldDescriptor.TYPE_ENUM else ""
        cases.append(("required", field.name, zero))
        declared.discard("required")
    kind = rules.WhichOneof("type") or ""
    declared.discard(kind)
    kind_cases = CASES_BY_KIND.get(kind)
    if kind_cases is None:
        unknown = {kind}
    else:
        found, unknown = kind_cases(field, rules)
        cases += found
    assert not unknown and not declared, (
        f"{field.full_name}: no breaking value for {unknown | declared}"
    )
    return cases


def walk() -> list[tuple[descriptor.MethodDescriptor, str, str, Any]]:
    cases = []
    for service in SERVICES:
        for method in service.methods:
            for field in method.input_type.fields:
                rules = field_rules(field)
                if rules is None:
                    assert field.full_name in UNCONSTRAINED, f"{field.full_name} has no constraint"
                    continue
                for rule_id, path, value in breaking_values(field, rules):
                    cases.append((method, rule_id, path, value))
    return cases


CASES = walk()


def call(
    daemon: RunningDaemon, method: descriptor.MethodDescriptor, request: message.Message
) -> None:
    client = daemon.client
    path = f"/{method.containing_service.full_name}/{method.name}"
    response_class = message_factory.GetMessageClass(method.output_type)
    kwargs: dict[str, Any] = {
        "request_serializer": type(request).SerializeToString,
        "response_deserializer": response_class.FromString,
    }
    if method.server_streaming:
        for _ in client.channel.unary_stream(path, **kwargs)(
            request, metadata=client.metadata, timeout=10
        ):
            pass
    else:
        client.channel.unary_unary(path, **kwargs)(request, metadata=client.metadata, timeout=10)


def details_of(
    error: grpc.RpcError,
) -> tuple[error_details_pb2.ErrorInfo, error_details_pb2.BadRequest]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, "a rich status with details"
    info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    for detail in status.details:
        if detail.Is(info.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(bad.DESCRIPTOR):
            detail.Unpack(bad)
    return info, bad


def test_every_rpc_of_kit_v1_is_walked() -> None:
    walked = {f"{m.containing_service.name}.{m.name}" for m, *_ in CASES}
    with_fields = {
        f"{s.name}.{m.name}"
        for s in SERVICES
        for m in s.methods
        if any(f.full_name not in UNCONSTRAINED for f in m.input_type.fields)
    }
    assert walked == with_fields
    assert len(CASES) >= 40


@pytest.mark.parametrize(
    ("method", "rule_id", "path", "value"),
    CASES,
    ids=[f"{m.name}-{p}-{r}" for m, r, p, _ in CASES],
)
def test_a_request_breaking_a_constraint_is_invalid_argument_naming_field_and_rule(
    daemon: RunningDaemon, method: descriptor.MethodDescriptor, rule_id: str, path: str, value: Any
) -> None:
    request_class = message_factory.GetMessageClass(method.input_type)
    field_name = path.split("[", maxsplit=1)[0]
    request = request_class()
    valid = {"session_id": SOME_UUID, "attempt_id": SOME_UUID}
    for name, good in valid.items():
        if name in request_class.DESCRIPTOR.fields_by_name and name != field_name:
            setattr(request, name, good)
    if isinstance(value, list):
        getattr(request, field_name).extend(value)
    else:
        setattr(request, field_name, value)
    with pytest.raises(grpc.RpcError) as caught:
        call(daemon, method, request)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
    info, bad = details_of(caught.value)
    assert info.reason == "ERROR_REASON_INVALID_ARGUMENT"
    assert (path, rule_id) in {(v.field, v.reason) for v in bad.field_violations}
    assert path in caught.value.details()


def test_capture_finger_with_an_unknown_finger_is_invalid_argument_and_one_log_line(
    daemon: RunningDaemon,
) -> None:
    before = daemon.log().count("request refused")
    client = daemon.client
    with pytest.raises(grpc.RpcError) as caught:
        list(
            client.capture.CaptureFinger(
                cpb.CaptureFingerRequest(session_id=SOME_UUID, finger=999),  # type: ignore[arg-type]
                metadata=client.metadata,
                timeout=10,
            )
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    info, _ = details_of(caught.value)
    assert info.metadata["field"] == "finger"
    assert info.metadata["rule"] == "enum.defined_only"
    log = daemon.log()
    assert log.count("request refused") == before + 1
    assert "Exception iterating responses" not in log
    assert "Traceback" not in log


def test_capture_face_with_an_unknown_mode_is_refused_before_any_capture(
    daemon: RunningDaemon,
) -> None:
    client = daemon.client
    with pytest.raises(grpc.RpcError) as caught:
        client.capture.CaptureFace(
            cpb.CaptureFaceRequest(session_id=SOME_UUID, mode=777),  # type: ignore[arg-type]
            metadata=client.metadata,
            timeout=10,
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert details_of(caught.value)[0].metadata["field"] == "mode"


def test_an_over_long_cancel_reason_is_refused_and_the_audit_log_does_not_grow(
    daemon: RunningDaemon,
) -> None:
    client = daemon.client
    session = client.capture.CreateSession(
        cpb.CreateSessionRequest(
            document_profile="be-kids-id", applicant_age=8, operator_id="op-1"
        ),
        metadata=client.metadata,
        timeout=10,
    ).session
    audit = Path(daemon.config.parent / "state" / "audit.log")
    size = audit.stat().st_size
    with pytest.raises(grpc.RpcError) as caught:
        client.capture.CancelSession(
            cpb.CancelSessionRequest(session_id=session.session_id, reason="x" * 2_000_000),
            metadata=client.metadata,
            timeout=10,
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert details_of(caught.value)[0].metadata["field"] == "reason"
    assert audit.stat().st_size == size
    # Nothing was lost: the session is still active and a reasonable reason cancels it.
    cancelled = client.capture.CancelSession(
        cpb.CancelSessionRequest(session_id=session.session_id, reason="citizen unwell"),
        metadata=client.metadata,
        timeout=10,
    ).session
    assert cancelled.state == cpb.SESSION_STATE_CANCELLED


NO_CONTROL_CHARACTERS = "^[^\\x00-\\x1F\\x7F-\\x9F]*$"


def test_every_free_text_field_of_a_request_refuses_control_characters() -> None:
    # Free text (no uuid, no pattern of its own) reaches the audit log and the package's records: a
    # newline or an ESC there forges lines and moves terminals. A new text field must carry the rule.
    free_text = []
    for service in SERVICES:
        for method in service.methods:
            for field in method.input_type.fields:
                if field.type != descriptor.FieldDescriptor.TYPE_STRING:
                    continue
                rules = field_rules(field)
                text = rules.string if rules is not None else None
                if text is None or text.uuid:
                    continue
                if text.pattern != NO_CONTROL_CHARACTERS and not text.pattern:
                    free_text.append(field.full_name)
    assert free_text == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("operator_id", "op-1\nFORGED LINE"),
        ("operator_id", "op-1\x1b[2J"),
        ("application_reference", "APP\r\n2026"),
        ("citizen_display_name", "Jan\x1b]0;title\x07"),
    ],
)
def test_control_characters_in_create_session_text_are_refused(
    daemon: RunningDaemon, field: str, value: str
) -> None:
    client = daemon.client
    request = cpb.CreateSessionRequest(
        document_profile="be-kids-id", applicant_age=8, operator_id="op-1"
    )
    setattr(request, field, value)
    with pytest.raises(grpc.RpcError) as caught:
        client.capture.CreateSession(request, metadata=client.metadata, timeout=10)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    info, _ = details_of(caught.value)
    assert (info.metadata["field"], info.metadata["rule"]) == (field, "string.pattern")


def test_letters_of_every_language_and_punctuation_stay_allowed(daemon: RunningDaemon) -> None:
    client = daemon.client
    session = client.capture.CreateSession(
        cpb.CreateSessionRequest(
            document_profile="be-kids-id",
            applicant_age=8,
            operator_id="Zoë-Françoise Müller",
            application_reference="APP/2026-0001 (élève)",
        ),
        metadata=client.metadata,
        timeout=10,
    ).session
    try:
        assert session.operator_id == "Zoë-Françoise Müller"
    finally:
        client.capture.CancelSession(
            cpb.CancelSessionRequest(session_id=session.session_id, reason="test: done"),
            metadata=client.metadata,
            timeout=10,
        )

"""kit.v1 messages and daemon errors as the page's JSON: proto3's JSON mapping with the proto field
names and every field present, so the page never guesses at defaults.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from kitd.client import DaemonError

# The HTTP status a failed call answers with, by gRPC status; the body always carries the daemon's
# message and reason, which is what the page shows.
HTTP_STATUS = {
    "INVALID_ARGUMENT": 400,
    "NOT_FOUND": 404,
    "FAILED_PRECONDITION": 409,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 507,
    "UNIMPLEMENTED": 501,
    "DEADLINE_EXCEEDED": 504,
    "UNAVAILABLE": 503,
    "INTERNAL": 500,
}


def to_json(message: Message) -> dict[str, Any]:
    """A kit.v1 message as the page's JSON: proto field names, every field present."""
    return MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def error_json(error: DaemonError) -> dict[str, Any]:
    """A daemon error as the page's JSON: its gRPC code, message, reason and metadata."""
    return {
        "code": error.code,
        "message": error.message,
        "reason": error.reason,
        "metadata": error.metadata,
    }


def console_error(message: str, code: str = "INVALID_ARGUMENT") -> dict[str, Any]:
    """An error the console itself raises (a malformed request from the page)."""
    return {"code": code, "message": message, "reason": "", "metadata": {}}


def http_status(error: DaemonError) -> int:
    """The HTTP status for a failed daemon call; 502 for any code the table lacks."""
    # A refused token or an unreachable daemon is this server's problem, not the page's.
    return HTTP_STATUS.get(error.code, 502)

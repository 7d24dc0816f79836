"""The kit.v1 unary calls the page may make, by RPC name: which stub serves it, its request type
and how long the console waits. Anything not listed here is not reachable from the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf.json_format import ParseDict
from google.protobuf.message import Message

from kit.v1 import capture_service_pb2 as cpb
from kit.v1 import device_service_pb2 as dpb
from kit.v1 import outbox_service_pb2 as opb


@dataclass(frozen=True)
class UnaryCall:
    """A kit.v1 unary call the page may make: its service, request type and timeout."""

    service: str  # the AsyncKitClient attribute: devices, capture or outbox
    request: type[Message]
    timeout_s: float = 10.0


CALLS: dict[str, UnaryCall] = {
    "GetKitInfo": UnaryCall("devices", dpb.GetKitInfoRequest),
    "ListDevices": UnaryCall("devices", dpb.ListDevicesRequest),
    "CreateSession": UnaryCall("capture", cpb.CreateSessionRequest),
    "GetSession": UnaryCall("capture", cpb.GetSessionRequest),
    "GetActiveSession": UnaryCall("capture", cpb.GetActiveSessionRequest),
    "CancelSession": UnaryCall("capture", cpb.CancelSessionRequest),
    # The daemon bounds the photo by the request's timeout_ms (at most 10 min).
    "CaptureFace": UnaryCall("capture", cpb.CaptureFaceRequest, 660.0),
    "RecordFingerException": UnaryCall("capture", cpb.RecordFingerExceptionRequest),
    "ClearSignature": UnaryCall("capture", cpb.ClearSignatureRequest),
    "WaiveSignature": UnaryCall("capture", cpb.WaiveSignatureRequest),
    "OverrideAttempt": UnaryCall("capture", cpb.OverrideAttemptRequest),
    "GetEnrollmentPhoto": UnaryCall("capture", cpb.GetEnrollmentPhotoRequest),
    "CheckIdentityVisually": UnaryCall("capture", cpb.CheckIdentityVisuallyRequest),
    "RecordEligibility": UnaryCall("capture", cpb.RecordEligibilityRequest),
    # The daemon bounds the photo by the request's timeout_ms (at most 10 min).
    "CaptureCertificatePhoto": UnaryCall("capture", cpb.CaptureCertificatePhotoRequest, 660.0),
    "OverrideEligibility": UnaryCall("capture", cpb.OverrideEligibilityRequest),
    "FinalizeSession": UnaryCall("capture", cpb.FinalizeSessionRequest, 120.0),
    "ListPackages": UnaryCall("outbox", opb.ListPackagesRequest),
    "GetOutboxStatus": UnaryCall("outbox", opb.GetOutboxStatusRequest),
    "FlushOutbox": UnaryCall("outbox", opb.FlushOutboxRequest, 120.0),
}


def parse_request(call: UnaryCall, fields: dict[str, Any]) -> Message:
    """The page's JSON object as the call's request message (proto3 JSON mapping); ParseError
    naming the field when it does not fit.
    """
    return ParseDict(fields, call.request())

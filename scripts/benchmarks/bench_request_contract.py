"""Request contract: what checking a request against its buf.validate constraints costs per call.

In process, the interceptor's own check (protovalidate, rules compiled once per message type) on
requests of every shape the API takes: a plain id, a session with free text, a stream's request and a
list. A plain measurement: the cost is added to every call, so it must stay far below a call's own.
"""

from __future__ import annotations

from functools import partial

from figures import Context, Figure, time_ms

from kitharness.measures import median, percentile

UUID = "0190b7a4-1c5e-7d2a-9f3b-8a6c5d4e3f21"


def run(ctx: Context) -> list[Figure]:
    from kit.v1 import capture_service_pb2 as cpb
    from kit.v1 import device_service_pb2 as dpb
    from kitd.server.request_validation import RequestValidationInterceptor

    check = RequestValidationInterceptor().violations
    requests = {
        "GetSession": cpb.GetSessionRequest(session_id=UUID),
        "CreateSession": cpb.CreateSessionRequest(
            document_profile="be-eid",
            applicant_age=45,
            operator_id="op-0042",
            application_reference="REF-2026-000123",
            citizen_display_name="Jan Janssens",
        ),
        "CaptureFinger": cpb.CaptureFingerRequest(session_id=UUID, finger=2, timeout_ms=30000),  # type: ignore[arg-type]
        "RunSelfTest": dpb.RunSelfTestRequest(kinds=[1, 2, 3]),  # type: ignore[list-item]
    }
    figures = []
    for name, request in requests.items():
        assert check(request) == [], name
        times = [t * 1000.0 for t in time_ms(partial(check, request), repeat=2000, warmup=50)]
        figures.append(
            Figure(
                "request contract",
                f"check {name}Request (median)",
                median(times),
                "us",
                extra={"p99_us": round(percentile(times, 0.99), 1)},
            )
        )
    refused = cpb.CancelSessionRequest(session_id=UUID, reason="x" * 2_000_000)
    times = [t * 1000.0 for t in time_ms(lambda: check(refused), repeat=50)]
    figures.append(
        Figure(
            "request contract", "refuse a 2,000,000-character reason (median)", median(times), "us"
        )
    )
    return figures

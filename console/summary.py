"""The citizen's summary of a sealed visit, as the daemon renders it (GetVisitSummary), on its own page
so the operator can print it. The page is the daemon's HTML with its own style and nothing else: its
headers allow inline style and forbid any script, image, connection or frame.
"""

from __future__ import annotations

import grpc
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from console.messages import error_json, http_status
from kit.v1 import capture_service_pb2 as cpb
from kitd.client import AsyncKitClient, DaemonError

SUMMARY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
}


async def visit_summary(request: Request) -> Response:
    """`/summary/ID?lang=`: the citizen's summary page the daemon renders, or its error as JSON."""
    kit: AsyncKitClient = request.app.state.kit
    summary_request = cpb.GetVisitSummaryRequest(
        session_id=request.path_params["session_id"],
        language=request.query_params.get("lang", ""),
    )
    try:
        response = await kit.capture.GetVisitSummary(
            summary_request, metadata=kit.metadata, timeout=10
        )
    except grpc.RpcError as exc:
        error = DaemonError.from_rpc_error(exc)
        return JSONResponse({"error": error_json(error)}, http_status(error))
    return HTMLResponse(response.html, headers=SUMMARY_HEADERS)

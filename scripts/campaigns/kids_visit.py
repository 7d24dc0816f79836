"""A photo-only Kids-ID visit brought up to its finalize, the unit of work of most campaigns."""

from __future__ import annotations

from kit.v1 import capture_service_pb2 as cpb
from kitharness.kit import KitUnderTest
from kitharness.visit import Visit


def visit_until_finalize(
    kit: KitUnderTest, reference: str
) -> tuple[Visit, cpb.FinalizeSessionRequest]:
    """A Kids-ID visit of an eight-year-old under `reference`, its photo taken: all it lacks is the
    finalize, whose request is returned for the caller to send when it chooses."""
    visit = Visit(
        kit,
        "be-kids-id",
        8,
        operator_id="op-soak",
        reference=reference,
        display_name="Lotte Peeters",
    )
    visit.face()
    return visit, cpb.FinalizeSessionRequest(session_id=visit.id)

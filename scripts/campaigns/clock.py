"""`clock`: the daemon's clock moved through its own seam (`[clock] offset_file`), never the machine's.

Each round sets an offset (−400 d … +400 d), either live or across a daemon restart (the start-up
retention sweep), tries a Kids-ID visit and, every third round, moves the clock in the middle of the
visit. No receiver runs, so no package is ever delivered: every package sealed must still be in the
outbox at the end, no `package_expired` or `package_deleted` record may exist, and the audit chain must
verify.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from campaigns.audit_chain import VERIFIES, audit_records, chain_verdict
from campaigns.campaign import Campaign, Result
from campaigns.kids_visit import visit_until_finalize
from kit.v1 import outbox_service_pb2 as opb
from kitd.audit.record import AuditKind
from kitharness.kit import KitUnderTest

DAY_S = 86400.0
CLOCK_OFFSETS_D = (-400.0, -30.0, 0.0, 0.0, 100.0, 400.0)


@dataclass
class Rounds:
    """What the rounds came to."""

    receipts: list[str] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    restarts: int = 0
    mid_visit_jumps: int = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-minutes", type=float, default=30.0)


def run(options: argparse.Namespace) -> Result:
    """`--rounds` rounds, a last restart 400 days ahead, then the outbox and the audit log read."""
    rng = random.Random(options.seed)
    root = Path(tempfile.mkdtemp(prefix="kitd-soak-clock-"))
    offset = root / "clock-offset"
    offset.write_text("0")
    extra = f'\n[clock]\noffset_file = "{offset}"\n'
    rounds = Rounds()
    started = time.monotonic()
    with KitUnderTest(root, devices=("camera",), extra_config=extra) as kit:
        for number in range(options.rounds):
            if time.monotonic() - started > options.max_minutes * 60:
                break
            _round(kit, offset, rng, number, rounds)
        # A last restart far ahead: the start-up sweep meets every package.
        offset.write_text(str(400 * DAY_S))
        kit.stop_daemon()
        kit.start_daemon()
        rounds.restarts += 1
        client = kit.client
        listed = client.outbox.ListPackages(
            opb.ListPackagesRequest(), metadata=client.metadata, timeout=10
        )
        status = client.outbox.GetOutboxStatus(
            opb.GetOutboxStatusRequest(), metadata=client.metadata, timeout=10
        )
    records = audit_records(root / "kitd" / "state")
    in_outbox = {p.package_id for p in listed.packages}
    deleted = [
        r for r in records if r.kind in (AuditKind.PACKAGE_EXPIRED, AuditKind.PACKAGE_DELETED)
    ]
    jumps: dict[str, int] = {}
    for record in records:
        if record.kind is AuditKind.CLOCK_JUMPED:
            kind = str(record.fields.get("jump"))
            jumps[kind] = jumps.get(kind, 0) + 1
    return {
        "rounds": options.rounds,
        "packages_sealed": len(rounds.receipts),
        "visits_refused": rounds.refused,
        "restarts": rounds.restarts,
        "mid_visit_jumps": rounds.mid_visit_jumps,
        "clock_jumps_audited": jumps,
        "undelivered_deleted": len(deleted)
        + len([p for p in rounds.receipts if p not in in_outbox]),
        "held_at_end": status.held_packages,
        "audit_chain": chain_verdict(records),
        "minutes": round((time.monotonic() - started) / 60, 1),
    }


def _round(
    kit: KitUnderTest, offset: Path, rng: random.Random, number: int, rounds: Rounds
) -> None:
    """The clock set live or across a restart, a visit tried, the clock moved mid-visit every third
    round, the visit finalized."""
    days = rng.choice(CLOCK_OFFSETS_D)
    offset.write_text(str(days * DAY_S))
    if rng.random() < 0.5:
        kit.stop_daemon()
        kit.start_daemon()
        rounds.restarts += 1
    try:
        _visit, request = visit_until_finalize(kit, f"APP-CLOCK-{number}")
    except grpc.RpcError as exc:
        reason = "clock" if exc.code() is grpc.StatusCode.FAILED_PRECONDITION else exc.code().name
        rounds.refused[reason] = rounds.refused.get(reason, 0) + 1
        return
    if number % 3 == 2:
        offset.write_text(str(rng.choice(CLOCK_OFFSETS_D) * DAY_S))
        rounds.mid_visit_jumps += 1
    response = kit.client.capture.FinalizeSession(request, metadata=kit.client.metadata, timeout=30)
    rounds.receipts.append(response.receipt.package_id)


def failed(result: Result) -> bool:
    return bool(result["undelivered_deleted"] or result["audit_chain"] != VERIFIES)


CAMPAIGN = Campaign(
    "clock",
    "the daemon's clock moved (−400 d … +400 d), live and at restarts",
    add_arguments,
    run,
    failed,
    description=__doc__ or "",
)

"""`torn-tail`: what a power cut can leave after an audit append.

With the daemon stopped, zeros, garbage or the first bytes of a record are appended to the log; the
daemon must start again, cut the tail off, keep the cut bytes aside, record it, and the chain must
verify. A Kids-ID visit is finalized between rounds so the log keeps growing.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from campaigns.audit_chain import VERIFIES, audit_records, chain_verdict
from campaigns.campaign import Campaign, Result
from campaigns.kids_visit import visit_until_finalize
from kitd.audit.record import AuditKind
from kitd.audit.verify import decode_records
from kitharness.kit import KitUnderTest

TAILS = ("zeros", "garbage", "record_cut_short")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)


def run(options: argparse.Namespace) -> Result:
    """`--rounds` rounds of visit, stop, damage, start; then the audit log read."""
    rng = random.Random(options.seed)
    root = Path(tempfile.mkdtemp(prefix="kitd-soak-torn-"))
    state = root / "kitd" / "state"
    log_path = state / "audit.log"
    damaged: dict[str, int] = {}
    failed_starts: list[str] = []
    started = time.monotonic()
    with KitUnderTest(root, devices=("camera",)) as kit:
        for number in range(options.rounds):
            _visit, request = visit_until_finalize(kit, f"APP-TORN-{number}")
            kit.client.capture.FinalizeSession(request, metadata=kit.client.metadata, timeout=30)
            kit.stop_daemon()
            kind = TAILS[number % len(TAILS)]
            with open(log_path, "ab") as out:
                out.write(_tail(kind, log_path.read_bytes(), rng))
            damaged[kind] = damaged.get(kind, 0) + 1
            try:
                kit.start_daemon()
            except RuntimeError as exc:
                failed_starts.append(f"round {number} ({kind}): {str(exc)[-300:]}")
                break
    records = audit_records(state)
    cut = [r for r in records if r.kind in (AuditKind.LOG_TRUNCATED, AuditKind.LOG_REPAIRED)]
    return {
        "rounds": options.rounds,
        "tails_written": damaged,
        "starts_refused": len(failed_starts),
        "problems": failed_starts,
        "cuts_recorded": len(cut),
        "tails_kept_aside": len(list(state.glob("audit.log.tail-*"))),
        "audit_chain": chain_verdict(records),
        "minutes": round((time.monotonic() - started) / 60, 1),
    }


def _tail(kind: str, log: bytes, rng: random.Random) -> bytes:
    """The damage of one kind: 1 to 8192 zeros or random bytes, or the start of the last record."""
    length = rng.randint(1, 8192)
    if kind == "zeros":
        return bytes(length)
    if kind == "garbage":
        return rng.randbytes(length)
    records, _ = decode_records(log)
    last = records[-1].encode()
    return last[: rng.randint(1, max(1, len(last) - 1))]


def failed(result: Result) -> bool:
    return bool(result["starts_refused"] or result["audit_chain"] != VERIFIES)


CAMPAIGN = Campaign(
    "torn-tail",
    "zeros, garbage or half a record after the audit log",
    add_arguments,
    run,
    failed,
    description=__doc__ or "",
)

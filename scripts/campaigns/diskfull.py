"""`diskfull`: Kids-ID visits finalized at the edge of a full disk (a tmpfs: needs root).

Before each attempt the disk is filled but `leave` bytes, raised by `--step` until the finalize
succeeds; every few visits the daemon is restarted on the full disk, where it must serve and refuse a
visit. Counts packages per visit (duplicates), receipts without a package (lost) and verifies the
audit chain.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from campaigns.audit_chain import VERIFIES, audit_records, chain_verdict
from campaigns.campaign import Campaign, Result
from campaigns.kids_visit import visit_until_finalize
from kit.v1 import outbox_service_pb2 as opb
from kitd.audit.record import AuditKind, AuditRecord
from kitharness.kit import KitUnderTest
from kitharness.small_disk import SmallDisk, small_disk

# Free space beyond which a finalize that still fails is a finding, not the edge of the disk.
ENOUGH_FREE = 4 << 20


@dataclass
class Edge:
    """What the visits at the edge of the disk came to."""

    attempts: int = 0
    refused: int = 0
    restarts_full: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    receipts: dict[str, str] = field(default_factory=dict)  # session id -> package id
    problems: list[str] = field(default_factory=list)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--visits", type=int, default=20)
    parser.add_argument("--step", type=int, default=4096)
    parser.add_argument("--disk-mb", type=int, default=16)
    parser.add_argument("--restart-every", type=int, default=5)
    parser.add_argument("--max-minutes", type=float, default=30.0)


def run(options: argparse.Namespace) -> Result:
    """`--visits` visits on a disk of `--disk-mb`, then the outbox and the audit log counted."""
    root = Path(tempfile.mkdtemp(prefix="kitd-soak-diskfull-"))
    state = root / "kitd" / "state"
    edge = Edge()
    started = time.monotonic()
    with small_disk(state, size_mb=options.disk_mb) as disk:
        kit = KitUnderTest(root, devices=("camera",), extra_config="\n[outbox]\nmin_free_mb = 0\n")
        kit.start()
        try:
            for number in range(options.visits):
                if time.monotonic() - started > options.max_minutes * 60:
                    break
                _visit_at_the_edge(kit, disk, edge, number, options.step)
                if number % options.restart_every == options.restart_every - 1:
                    _restart_on_a_full_disk(kit, disk, edge)
                disk.free()
            listed = kit.client.outbox.ListPackages(
                opb.ListPackagesRequest(), metadata=kit.client.metadata, timeout=10
            )
        finally:
            kit.stop()
        in_outbox = {p.package_id for p in listed.packages}
        records, chain = _read_audit(state)
    duplicates = _sealed_twice(records)
    lost = [pid for pid in edge.receipts.values() if pid not in in_outbox]
    return {
        "visits": len(edge.receipts),
        "finalize_attempts": edge.attempts,
        "finalize_refused": edge.refused,
        "refused_codes": edge.codes,
        "restarts_on_a_full_disk": edge.restarts_full,
        "packages_in_outbox": len(in_outbox),
        "duplicates": duplicates + max(0, len(in_outbox) - len(edge.receipts)),
        "lost": len(lost),
        "lost_ids": lost,
        "audit_chain": chain,
        "problems": edge.problems,
        "minutes": round((time.monotonic() - started) / 60, 1),
    }


def _visit_at_the_edge(
    kit: KitUnderTest, disk: SmallDisk, edge: Edge, number: int, step: int
) -> None:
    """One visit finalized with the disk full but `leave` bytes, `leave` raised by `step` until the
    finalize succeeds (or 4 MiB are free, a finding)."""
    visit, request = visit_until_finalize(kit, f"APP-DISK-{number}")
    leave = 0
    last_error = ""
    while visit.id not in edge.receipts and leave < ENOUGH_FREE:
        disk.free()
        disk.fill(leave=leave)
        edge.attempts += 1
        try:
            response = kit.client.capture.FinalizeSession(
                request, metadata=kit.client.metadata, timeout=30
            )
            edge.receipts[visit.id] = response.receipt.package_id
        except grpc.RpcError as exc:
            edge.refused += 1
            edge.codes[exc.code().name] = edge.codes.get(exc.code().name, 0) + 1
            last_error = f"{exc.code().name}: {exc.details()}"
        leave += step
    if visit.id not in edge.receipts:
        edge.problems.append(f"visit {number} not finalized with 4 MiB free: {last_error}")


def _restart_on_a_full_disk(kit: KitUnderTest, disk: SmallDisk, edge: Edge) -> None:
    """Starts the kit again with no byte free: the daemon must serve and refuse visits."""
    kit.stop()
    disk.free()
    disk.fill()
    kit.start()
    edge.restarts_full += 1
    try:
        visit_until_finalize(kit, "APP-REFUSED")
        edge.problems.append("a visit started on a full disk")
    except grpc.RpcError as exc:
        if exc.code() is not grpc.StatusCode.RESOURCE_EXHAUSTED:
            edge.problems.append(f"visit on a full disk: {exc.code().name}")


def _read_audit(state: Path) -> tuple[list[AuditRecord], str]:
    """The audit log's records and the chain's verdict (no records when it cannot be read)."""
    try:
        records = audit_records(state)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return [], f"BROKEN: {exc}"
    chain = chain_verdict(records)
    return (records if chain == VERIFIES else []), chain


def _sealed_twice(records: list[AuditRecord]) -> int:
    """Packages sealed beyond the first of their visit, by the audit log."""
    sealed: dict[str, list[str]] = {}
    for record in records:
        if record.kind is AuditKind.PACKAGE_SEALED:
            session = str(record.fields.get("session_id", ""))
            sealed.setdefault(session, []).append(str(record.fields["package_id"]))
    return sum(len(ids) - 1 for ids in sealed.values() if len(ids) > 1)


def failed(result: Result) -> bool:
    broken = result["audit_chain"] != VERIFIES
    return bool(result["lost"] or result["duplicates"] or result["problems"] or broken)


CAMPAIGN = Campaign(
    "diskfull",
    "finalize at the edge of a full disk (tmpfs, needs root); restarts on it",
    add_arguments,
    run,
    failed,
    description=__doc__ or "",
)

"""`kills`: a SIGKILL storm during finalize, upload and start-up.

Photo-only visits (Kids-ID) are finalized while the daemon is SIGKILLed at a random moment of finalize
(seal, enqueue), of the upload that follows (PUT, receipt, deletion) or of its start-up (recovery,
adoption of orphan files, retention sweep); every fifth round the receiver is SIGKILLed during the
upload too and restarted. After every kill, with the daemon dead, the disk check holds
(`disk_check.py`); after every restart the outbox's temp folder is empty. At the end, once the outbox
drained: every receipt the daemon gave is at the receiver (0 lost), no visit is stored twice (0
duplicates), every stored package verifies (0 corrupt).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from backoffice.opener import open_package
from campaigns.campaign import Campaign, Result
from campaigns.disk_check import DiskCheck
from campaigns.kids_visit import visit_until_finalize
from campaigns.storm import StormKit
from kit.v1 import capture_service_pb2 as cpb
from kitharness.kit import KitUnderTest
from kitharness.visit import Visit

PHASES = ("finalize", "upload", "start-up")
# How long after the finalize's answer the upload kill may land: a fixed window, not learned (the
# upload runs inside the daemon, out of sight of the storm, so it has no end to measure).
UPLOAD_S = 1.0


@dataclass
class Storm:
    """What the storm learned so far, round after round."""

    receipts: dict[str, str] = field(default_factory=dict)  # package id -> reference, answered
    references: set[str] = field(default_factory=set)
    # What the restarted daemon says of each visit whose finalize got no answer.
    verdicts: dict[str, str] = field(default_factory=dict)
    phases: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHASES, 0))
    problems: list[str] = field(default_factory=list)
    # How long a finalize takes, learned as it goes: the kill lands somewhere inside it.
    finalize_s: float = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-minutes", type=float, default=60.0)


def run(options: argparse.Namespace) -> Result:
    """The storm of `--kills` rounds (or `--max-minutes`), then the count at the receiver."""
    rng = random.Random(options.seed)
    root = Path(tempfile.mkdtemp(prefix="kitd-soak-kills-"))
    kit = StormKit(root)
    check = DiskCheck(kit.state, kit.kit_keys)
    storm = Storm()
    started = time.monotonic()
    try:
        for number in range(options.kills):
            if time.monotonic() - started > options.max_minutes * 60:
                break
            phase = _round(kit, check, storm, rng, number, options.seed)
            print(
                f"round {number + 1:4}/{options.kills} {phase:9} receipts {len(storm.receipts):4} "
                f"stored {len(kit.receiver.stored()):4} problems {len(storm.problems)}",
                file=sys.stderr,
                flush=True,
            )
        drained = _wait_drained(kit, set(storm.receipts), 120)
        _learn_received(kit, check)
        storm.problems += [f"final: {p}" for p in check.problems()]
        return {
            "mode": "kills",
            "seed": options.seed,
            **_counted_at_the_receiver(kit, storm),
            "torn_audit_tails_repaired": check.torn_tails,
            "drained": drained,
            "problems": storm.problems,
            "minutes": round((time.monotonic() - started) / 60, 1),
            "dir": str(root),
        }
    finally:
        kit.stop()


def _round(
    kit: StormKit, check: DiskCheck, storm: Storm, rng: random.Random, number: int, seed: int
) -> str:
    """One kill in a phase chosen at random, the disk checked with the daemon dead, the restart;
    returns the phase."""
    phase = rng.choice(PHASES)
    kill_receiver = number % 5 == 4
    reference = f"SOAK-{seed}-{number:04d}"
    unanswered: Visit | None = None
    if phase == "start-up":
        kit.kill_daemon()
        kit.start_and_kill_early(rng.uniform(0.0, 2.0))
    else:
        visit, request = visit_until_finalize(kit.kit, reference)
        storm.references.add(reference)
        outcome = KILLS[phase](kit, storm, rng, visit, request, kill_receiver=kill_receiver)
        if "response" in outcome:
            storm.receipts[outcome["response"].receipt.package_id] = reference
        else:
            unanswered = visit
    storm.phases[phase] += 1
    storm.problems += [f"round {number} ({phase}): {p}" for p in check.problems()]
    if kit.receiver.process is not None and kit.receiver.process.poll() is not None:
        kit.receiver.start()
    kit.start_daemon()
    if unanswered is not None:
        storm.verdicts[reference] = _verdict_after_restart(kit.kit, unanswered.id)
    leftovers = list((kit.state / "outbox" / "tmp").iterdir())
    if leftovers:
        storm.problems.append(f"round {number}: temp files after restart: {leftovers}")
    _learn_received(kit, check)
    return phase


def _kill(kit: StormKit, *, kill_receiver: bool) -> None:
    """SIGKILL the daemon, and the receiver first when the round says so."""
    if kill_receiver:
        kit.receiver.kill()
    kit.kill_daemon()


def _learn_finalize_time(storm: Storm, outcome: dict[str, Any], began: float) -> None:
    """A finalize that answered moves the storm's estimate of how long one takes."""
    if "response" in outcome:
        storm.finalize_s = 0.8 * storm.finalize_s + 0.2 * (outcome["at"] - began)


def _kill_during_finalize(
    kit: StormKit,
    storm: Storm,
    rng: random.Random,
    visit: Visit,
    request: cpb.FinalizeSessionRequest,
    *,
    kill_receiver: bool,
) -> dict[str, Any]:
    """The daemon killed at a random moment of the finalize (seal, enqueue); what it answered."""
    thread, outcome, began = _finalizing(visit, request)
    time.sleep(rng.uniform(0.0, storm.finalize_s))
    _kill(kit, kill_receiver=kill_receiver)
    thread.join(30)
    _learn_finalize_time(storm, outcome, began)
    return outcome


def _kill_during_upload(
    kit: StormKit,
    storm: Storm,
    rng: random.Random,
    visit: Visit,
    request: cpb.FinalizeSessionRequest,
    *,
    kill_receiver: bool,
) -> dict[str, Any]:
    """The finalize answered, the daemon killed at a random moment of the upload after it (PUT,
    receipt, deletion); what the finalize answered."""
    thread, outcome, began = _finalizing(visit, request)
    thread.join(60)
    _learn_finalize_time(storm, outcome, began)
    time.sleep(rng.uniform(0.0, UPLOAD_S))
    _kill(kit, kill_receiver=kill_receiver)
    return outcome


KILLS = {"finalize": _kill_during_finalize, "upload": _kill_during_upload}


def _finalizing(
    visit: Visit, request: cpb.FinalizeSessionRequest
) -> tuple[threading.Thread, dict[str, Any], float]:
    """The finalize sent from a thread: the thread, where its answer will be, and when it began."""
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=_finalize, args=(visit, request, outcome))
    began = time.monotonic()
    thread.start()
    return thread, outcome, began


def _finalize(visit: Visit, request: cpb.FinalizeSessionRequest, out: dict[str, Any]) -> None:
    try:
        out["response"] = visit.client.capture.FinalizeSession(
            request, metadata=visit.md, timeout=60
        )
    except grpc.RpcError as exc:
        out["error"] = exc.code()
    out["at"] = time.monotonic()


def _verdict_after_restart(kit: KitUnderTest, session_id: str) -> str:
    """What the restarted daemon says of a visit whose finalize got no answer."""
    client = kit.client
    try:
        client.capture.GetSession(
            cpb.GetSessionRequest(session_id=session_id), metadata=client.metadata, timeout=5
        )
    except grpc.RpcError as exc:
        if "finalized" in (exc.details() or ""):
            return "finalized"
        if exc.code() is grpc.StatusCode.FAILED_PRECONDITION:
            return "lost"
        return f"other:{exc.code().name}"
    return "still-active"


def _learn_received(kit: StormKit, check: DiskCheck) -> None:
    """Teaches the disk check the plaintext of every package the receiver stored since."""
    for package_id in kit.receiver.stored():
        if any(origin.startswith(package_id) for origin in check.fragments.values()):
            continue
        path = kit.receiver.stored_package(package_id)
        if path is None:
            continue
        with contextlib.suppress(Exception):
            opened = open_package(path.read_bytes(), kit.recipient_key, kit.kit_keys)
            check.learn(opened.files, package_id)


def _wait_drained(kit: StormKit, ids: set[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ids <= set(kit.receiver.stored()) and not list(
            (kit.state / "outbox" / "packages").glob("*")
        ):
            return True
        time.sleep(0.2)
    return False


def _stored_references(kit: StormKit) -> tuple[dict[str, int], int]:
    """How many packages the receiver holds of each application reference, and how many of its
    packages do not open (or do not match their receipt)."""
    per_reference: dict[str, int] = {}
    corrupt = 0
    for package_id, folder in kit.receiver.stored().items():
        path = kit.receiver.stored_package(package_id)
        if path is None:
            raise FileNotFoundError(f"{folder}: a receipt without its package")
        data = path.read_bytes()
        receipt = json.loads((folder / "receipt.json").read_text())
        try:
            opened = open_package(data, kit.recipient_key, kit.kit_keys)
            if opened.sealed_sha256 != receipt["sha256"] or opened.header.package_id != package_id:
                raise ValueError(f"{package_id}: the package does not match its receipt")
        except Exception:  # noqa: BLE001
            corrupt += 1
            continue
        ref = opened.manifest.application_reference
        per_reference[ref] = per_reference.get(ref, 0) + 1
    return per_reference, corrupt


def _counted_at_the_receiver(kit: StormKit, storm: Storm) -> Result:
    """The storm's figures: kills, receipts, and what reached the receiver against them."""
    stored = kit.receiver.stored()
    lost = sorted(set(storm.receipts) - set(stored))
    per_reference, corrupt = _stored_references(kit)
    verdicts = storm.verdicts
    told_lost_but_delivered = [
        ref for ref, verdict in verdicts.items() if verdict == "lost" and ref in per_reference
    ]
    told_finalized_but_missing = [
        ref
        for ref, verdict in verdicts.items()
        if verdict == "finalized" and ref not in per_reference
    ]
    return {
        "daemon_kills": sum(storm.phases.values()),
        "receiver_kills": kit.receiver.kills,
        "kills_by_phase": storm.phases,
        "visits_finalized": len(storm.receipts),
        "visits_interrupted": len(storm.references) - len(storm.receipts),
        "packages_stored": len(stored),
        "committed_before_kill": len(set(stored) - set(storm.receipts)),
        "lost": len(lost),
        "lost_ids": lost,
        "duplicates": sum(n - 1 for n in per_reference.values() if n > 1),
        "interrupted_finalize_verdicts": {
            v: sum(1 for x in verdicts.values() if x == v) for v in sorted(set(verdicts.values()))
        },
        "told_lost_but_delivered": len(told_lost_but_delivered),
        "told_finalized_but_missing": len(told_finalized_but_missing),
        "corrupt": corrupt,
    }


def failed(result: Result) -> bool:
    return bool(
        result["lost"]
        or result["duplicates"]
        or result["corrupt"]
        or result["problems"]
        or result["told_lost_but_delivered"]
        or result["told_finalized_but_missing"]
    )


CAMPAIGN = Campaign(
    "kills",
    "SIGKILL storm during finalize, upload and start-up",
    add_arguments,
    run,
    failed,
    description=__doc__ or "",
)

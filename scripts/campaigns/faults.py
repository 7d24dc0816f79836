"""`faults`: each device is unplugged and replugged `--cycles` times, every other time in the middle of
its stream (face preview, a finger capture waiting for the finger, a signature).

The stream must end with UNAVAILABLE, the device be seen absent, then ready again after the replug
(the time from replug to ready is the figure), and the daemon's threads and fds are counted before and
after.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import psutil

from campaigns.campaign import Campaign, Result, never_fails
from kit.v1 import capture_service_pb2 as cpb
from kit.v1 import types_pb2
from kitharness.kit import ALL_DEVICES, KitUnderTest
from kitharness.visit import Visit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cycles", type=int, default=100)


def _stream_for(kit: KitUnderTest, device: str, session_id: str) -> Any:
    client = kit.client
    if device == "camera":
        return client.capture.StreamFacePreview(
            cpb.StreamFacePreviewRequest(session_id=session_id, max_size=320),
            metadata=client.metadata,
            timeout=30,
        )
    if device == "fingerprint":
        return client.capture.CaptureFinger(
            cpb.CaptureFingerRequest(
                session_id=session_id,
                finger=types_pb2.FINGER_POSITION_RIGHT_INDEX,
                timeout_ms=20000,
            ),
            metadata=client.metadata,
            timeout=30,
        )
    return client.capture.CaptureSignature(
        cpb.CaptureSignatureRequest(session_id=session_id, timeout_ms=20000),
        metadata=client.metadata,
        timeout=30,
    )


def _first_item(stream: Any, out: dict[str, Any], started: threading.Event) -> None:
    try:
        for _ in stream:
            started.set()
    except grpc.RpcError as exc:
        out["code"] = exc.code().name
    finally:
        started.set()


def run(options: argparse.Namespace) -> Result:
    """`--cycles` unplug/replug cycles of each device in turn, on one kit."""
    root = Path(tempfile.mkdtemp(prefix="kitd-soak-faults-"))
    with KitUnderTest(root) as kit:
        assert kit.daemon is not None and kit.daemon.process is not None and kit.watch is not None
        process = psutil.Process(kit.daemon.process.pid)
        before = {"threads": process.num_threads(), "fds": process.num_fds()}
        devices: dict[str, Any] = {}
        for device in ALL_DEVICES:
            devices[device] = _device_cycles(kit, device, options.cycles)
            print(f"{device}: {devices[device]}", file=sys.stderr, flush=True)
        # Streams and their threads end asynchronously; give the daemon a moment to settle.
        time.sleep(2.0)
        after = {"threads": process.num_threads(), "fds": process.num_fds()}
        return {
            "mode": "faults",
            "devices": devices,
            "threads_before_after": [before["threads"], after["threads"]],
            "fds_before_after": [before["fds"], after["fds"]],
        }


def _device_cycles(kit: KitUnderTest, device: str, cycles: int) -> dict[str, Any]:
    """The cycles of one device: how its streams ended and how long each replug took to ready."""
    assert kit.watch is not None
    recovery: list[float] = []
    stream_codes: dict[str, int] = {}
    failures = 0
    for cycle in range(cycles):
        mid_stream = cycle % 2 == 1
        visit = Visit(kit, "be-eid", 40) if mid_stream else None
        outcome: dict[str, Any] = {}
        thread = None
        if visit is not None:
            thread = _open_stream(kit, device, visit.id, outcome)
        kit.ctl(device, "unplug")
        if not kit.watch.wait(device, "absent", 10):
            failures += 1
        if thread is not None:
            thread.join(15)
            code = outcome.get("code", "OK")
            stream_codes[code] = stream_codes.get(code, 0) + 1
        replugged = time.monotonic()
        kit.ctl(device, "replug")
        if kit.watch.wait(device, "ready", 15):
            recovery.append(time.monotonic() - replugged)
        else:
            failures += 1
        if visit is not None:
            visit.cancel()
    ordered = sorted(recovery)
    return {
        "cycles": cycles,
        "mid_stream_cycles": cycles // 2,
        "stream_endings": stream_codes,
        "not_recovered": failures,
        "replug_to_ready_s_median": round(ordered[len(ordered) // 2], 3) if ordered else None,
        "replug_to_ready_s_p95": round(ordered[int(len(ordered) * 0.95)], 3) if ordered else None,
        "replug_to_ready_s_max": round(ordered[-1], 3) if ordered else None,
    }


def _open_stream(
    kit: KitUnderTest, device: str, session_id: str, outcome: dict[str, Any]
) -> threading.Thread:
    """The device's stream of the visit, read in a thread that notes how it ended in `outcome`;
    returns once the stream runs."""
    stream = _stream_for(kit, device, session_id)
    started = threading.Event()
    thread = threading.Thread(target=_first_item, args=(stream, outcome, started), daemon=True)
    thread.start()
    if device == "camera":
        started.wait(10)  # a preview frame arrived: the stream runs
    else:
        time.sleep(0.3)  # the capture has started on the device
    return thread


CAMPAIGN = Campaign(
    "faults",
    "unplug/replug cycles of every device, idle and mid-stream",
    add_arguments,
    run,
    never_fails,
    description=__doc__ or "",
)

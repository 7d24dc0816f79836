"""`streams`: hundreds of open streams of each kind served by the daemon, and unary calls timed meanwhile.

`--streams` streams of each kind (Health.Watch without a token, WatchDeviceEvents, a low-rate face
preview of the running visit, a camera self-test) are opened against a daemon whose caps admit them
(`api.streams_per_method` and `streams_per_caller` = `--streams`); each is either served (its first
answer arrives) or refused. With all of them held, unary calls (ListDevices and Health.Check in turn)
are timed, a new Health.Watch must answer, and the daemon's threads and RSS are compared with before
and with its pool (the bound).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import psutil
from grpc_health.v1 import health_pb2

from campaigns.campaign import Campaign, Result
from campaigns.kids_visit import visit_until_finalize
from kit.v1 import capture_service_pb2 as cpb
from kit.v1 import device_service_pb2 as dpb
from kit.v1 import types_pb2
from kitd.client import KitClient
from kitd.server.app import rpc_threads
from kitharness.kit import KitUnderTest
from kitharness.measures import percentile

Opener = Callable[[KitClient], Any]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--camera-fps", type=float, default=5.0)
    parser.add_argument(
        "--kinds",
        default="health_watch,device_watch,face_preview,self_test",
        help="comma-separated",
    )


def _unary_latencies(client: KitClient, calls: int) -> list[float]:
    """Milliseconds of `calls` unary calls, ListDevices and Health.Check in turn."""
    took = []
    for number in range(calls):
        began = time.perf_counter()
        if number % 2:
            client.health.Check(health_pb2.HealthCheckRequest(), timeout=10)
        else:
            client.devices.ListDevices(
                dpb.ListDevicesRequest(), metadata=client.metadata, timeout=10
            )
        took.append((time.perf_counter() - began) * 1000)
    return took


def run(options: argparse.Namespace) -> Result:
    """The streams opened kind by kind on 4 channels, held while unary calls are timed."""
    root = Path(tempfile.mkdtemp(prefix="kitd-soak-streams-"))
    result: dict[str, Any] = {"streams_per_kind": options.streams}
    # One more than asked: the harness's own device watch, and the last health watch of the check.
    caps = {"streams_per_method": options.streams + 1, "streams_per_caller": options.streams + 1}
    # The preview's rate is the camera's: `--camera-fps` (low by default, as a preview of
    # hundreds of watchers would be; 30 is the camera's own rate).
    camera = {"camera": {"fps": options.camera_fps}}
    result["camera_fps"] = options.camera_fps
    with KitUnderTest(root, devices=("camera",), sim_options=camera, api=caps) as kit:
        assert kit.daemon is not None and kit.daemon.process is not None
        process = psutil.Process(kit.daemon.process.pid)
        client = kit.client
        baseline = _unary_latencies(client, options.calls)
        before = {"threads": process.num_threads(), "rss_mb": process.memory_info().rss / 2**20}
        visit, _ = visit_until_finalize(kit, "APP-STREAMS")
        channels = [KitClient(kit.daemon.endpoint) for _ in range(4)]
        kinds = options.kinds.split(",")
        openers = {kind: opener for kind, opener in _openers(visit.id).items() if kind in kinds}
        held, self_tests = _open_all(openers, options.streams, channels, result)
        cpu_before, began = process.cpu_times(), time.monotonic()
        loaded = _unary_latencies(client, options.calls)
        cpu_after, seconds = process.cpu_times(), time.monotonic() - began
        result["daemon_cpu_share_all_open"] = round(
            (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / seconds, 2
        )
        threads_all_open = process.num_threads()
        # Self-tests end by themselves: read each to its end, then time again with the rest held.
        result["self_test_outcomes"] = _read_to_the_end(self_tests)
        held_only = _unary_latencies(client, options.calls) if self_tests else loaded
        health_ok, watch_ok = _health_under_load(client)
        after = {"threads": process.num_threads(), "rss_mb": process.memory_info().rss / 2**20}
        for stream in held:
            stream.cancel()
        for channel in channels:
            channel.close()
        visit.cancel()
    result.update(
        {
            "unary_calls": options.calls,
            "unary_ms_idle_p50_p99": [round(percentile(baseline, q), 2) for q in (0.5, 0.99)],
            "unary_ms_all_open_p50_p99": [round(percentile(loaded, q), 2) for q in (0.5, 0.99)],
            "unary_ms_self_tests_done_p50_p99": [
                round(percentile(held_only, q), 2) for q in (0.5, 0.99)
            ],
            "health_check_under_load": health_ok,
            "health_watch_under_load": watch_ok,
            "daemon_threads_before_all_open_after": [
                before["threads"],
                threads_all_open,
                after["threads"],
            ],
            "daemon_thread_bound": rpc_threads(16, caps["streams_per_method"]),
            "daemon_rss_mb_before_after": [round(before["rss_mb"]), round(after["rss_mb"])],
        }
    )
    return result


def _openers(session_id: str) -> dict[str, Opener]:
    """How a stream of each kind is opened on a client (the preview is of the running visit)."""
    return {
        "health_watch": lambda c: c.health.Watch(health_pb2.HealthCheckRequest(), timeout=600),
        "device_watch": lambda c: c.devices.WatchDeviceEvents(
            dpb.WatchDeviceEventsRequest(include_current=True), metadata=c.metadata, timeout=600
        ),
        "face_preview": lambda c: c.capture.StreamFacePreview(
            cpb.StreamFacePreviewRequest(session_id=session_id, max_size=160),
            metadata=c.metadata,
            timeout=600,
        ),
        "self_test": lambda c: c.devices.RunSelfTest(
            dpb.RunSelfTestRequest(kinds=[types_pb2.DEVICE_KIND_CAMERA]),
            metadata=c.metadata,
            timeout=600,
        ),
    }


def _open_all(
    openers: dict[str, Opener], count: int, channels: list[KitClient], result: Result
) -> tuple[list[Any], list[Any]]:
    """`count` streams of each kind, spread over the channels; each kind's served, refused and other
    counts go into `result`. Returns the streams held and the self-tests (which end by themselves)."""
    held: list[Any] = []
    self_tests: list[Any] = []
    for kind, opener in openers.items():
        served = refused = other = 0
        for number in range(count):
            stream = opener(channels[number % len(channels)])
            try:
                next(stream)
                served += 1
                (self_tests if kind == "self_test" else held).append(stream)
            except grpc.RpcError as exc:
                if exc.code() is grpc.StatusCode.RESOURCE_EXHAUSTED:
                    refused += 1
                else:
                    other += 1
        result[kind] = {"served": served, "refused": refused, "other_errors": other}
    return held, self_tests


def _read_to_the_end(streams: list[Any]) -> dict[str, int]:
    """How each stream ended, counted by status (OK for a normal end)."""
    outcomes: dict[str, int] = {}
    for stream in streams:
        try:
            for _ in stream:
                pass
            outcomes["OK"] = outcomes.get("OK", 0) + 1
        except grpc.RpcError as exc:
            outcomes[exc.code().name] = outcomes.get(exc.code().name, 0) + 1
    return outcomes


def _health_under_load(client: KitClient) -> tuple[bool, bool]:
    """Whether Health.Check says SERVING, and whether a new Health.Watch answers SERVING."""
    health_ok = client.serving(timeout=5)
    try:
        watch = client.health.Watch(
            health_pb2.HealthCheckRequest(), metadata=client.metadata, timeout=5
        )
        watch_ok = next(watch).status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()
    except grpc.RpcError:
        watch_ok = False
    return health_ok, watch_ok


def failed(result: Result) -> bool:
    return not (result["health_check_under_load"] and result["health_watch_under_load"])


CAMPAIGN = Campaign(
    "streams",
    "hundreds of open streams of each kind; unary p99",
    add_arguments,
    run,
    failed,
    description=__doc__ or "",
)

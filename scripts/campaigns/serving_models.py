"""`serving-models`: the threaded server against `grpc.aio`, the same streams held.

The threaded server (a pool big enough for every stream) and `grpc.aio` (streams hold no thread) serve
the same small service (`model_server.py`): `--streams` of each kind (a thread-fed watch, a 2 Hz frame
stream, Health.Watch) are held and read by one client while unary calls (a small hash and Health.Check
in turn) are timed; the server's threads, RSS and CPU are read from outside.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import psutil
from grpc_health.v1 import health_pb2

from campaigns.campaign import Campaign, Result, never_fails
from kitharness.measures import percentile

MODEL_SERVER = Path(__file__).resolve().parent / "model_server.py"
MODEL_STREAMS = ("watch", "preview", "health_watch")


def raw(data: bytes) -> bytes:
    """The model service's messages are bytes as they are (what gRPC does with no serializer)."""
    return data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--pause-ms", type=float, default=10.0)


def run(options: argparse.Namespace) -> Result:
    """Both models measured in turn, with a pool of three workers a stream and some to spare."""
    workers = 3 * options.streams + 8
    pause_s = options.pause_ms / 1000
    return {
        "streams_per_kind": options.streams,
        "threaded": _measure_model("threaded", options.streams, options.calls, workers, pause_s),
        "aio": _measure_model("aio", options.streams, options.calls, workers, pause_s),
    }


async def _hold_streams(
    socket_path: str,
    count: int,
    opened: threading.Event,
    stop: threading.Event,
    out: dict[str, Any],
) -> None:
    """Opens `count` streams of each kind on 4 channels, reads every message until `stop`."""
    channels = [grpc.aio.insecure_channel(f"unix:{socket_path}") for _ in range(4)]
    first: list[asyncio.Future[None]] = []
    received = dict.fromkeys(MODEL_STREAMS, 0)

    loop = asyncio.get_running_loop()
    tasks = []
    for kind in MODEL_STREAMS:
        for number in range(count):
            channel = channels[number % len(channels)]
            call = _open_stream(channel, kind)
            ready: asyncio.Future[None] = loop.create_future()
            first.append(ready)
            tasks.append(asyncio.ensure_future(_drain(call, ready, received, kind)))
    results = await asyncio.gather(*first, return_exceptions=True)
    out["streams_served"] = sum(1 for r in results if not isinstance(r, BaseException))
    out["streams_failed"] = sum(1 for r in results if isinstance(r, BaseException))
    received.update(dict.fromkeys(MODEL_STREAMS, 0))
    opened.set()
    while not stop.is_set():
        await asyncio.sleep(0.1)
    out["messages_while_timed"] = dict(received)
    for task in tasks:
        task.cancel()
    for channel in channels:
        await channel.close()


async def _drain(
    call: Any, ready: asyncio.Future[None], received: dict[str, int], kind: str
) -> None:
    """Reads a stream to its end, counting its messages; `ready` resolves with the first (or the
    stream's error)."""
    try:
        async for _ in call:
            received[kind] += 1
            if not ready.done():
                ready.set_result(None)
    except grpc.RpcError as exc:
        if not ready.done():
            ready.set_exception(exc)


def _open_stream(channel: grpc.aio.Channel, kind: str) -> Any:
    """A stream of `kind`: a health watch, or the model service's watch or frame preview."""
    if kind == "health_watch":
        return channel.unary_stream(
            "/grpc.health.v1.Health/Watch",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )(health_pb2.HealthCheckRequest())
    method = "Watch" if kind == "watch" else "Preview"
    return channel.unary_stream(
        f"/soak.ServingModel/{method}", request_serializer=raw, response_deserializer=raw
    )(b"")


def _model_unary(channel: grpc.Channel, calls: int, pause_s: float = 0.0) -> list[float]:
    unary = channel.unary_unary(
        "/soak.ServingModel/Unary", request_serializer=raw, response_deserializer=raw
    )
    check = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    took = []
    for number in range(calls):
        began = time.perf_counter()
        if number % 2:
            check(health_pb2.HealthCheckRequest(), timeout=10)
        else:
            unary(b"x" * 64, timeout=10)
        took.append((time.perf_counter() - began) * 1000)
        time.sleep(pause_s)  # spread over seconds, so the streams deliver meanwhile
    return took


def _measure_model(
    model: str, streams: int, calls: int, workers: int, pause_s: float
) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="kitd-soak-models-"))
    socket_path = str(root / "model.sock")
    child = subprocess.Popen(
        [sys.executable, str(MODEL_SERVER), model, socket_path, str(workers)],
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, Any] = {"model": model, "workers": workers if model == "threaded" else None}
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        process = psutil.Process(child.pid)
        channel = grpc.insecure_channel(f"unix:{socket_path}")
        idle = _model_unary(channel, calls)
        before = (process.num_threads(), process.memory_info().rss / 2**20)
        opened, stop = threading.Event(), threading.Event()
        holder = threading.Thread(
            target=lambda: asyncio.run(_hold_streams(socket_path, streams, opened, stop, result))
        )
        holder.start()
        opened.wait(600)
        cpu_before = process.cpu_times()
        began = time.monotonic()
        loaded = _model_unary(channel, calls, pause_s)
        seconds = time.monotonic() - began
        cpu_after = process.cpu_times()
        after = (process.num_threads(), process.memory_info().rss / 2**20)
        stop.set()
        holder.join(60)
        channel.close()
        cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
        result.update(
            {
                "unary_ms_idle_p50_p99": [round(percentile(idle, q), 2) for q in (0.5, 0.99)],
                "unary_ms_loaded_p50_p99": [round(percentile(loaded, q), 2) for q in (0.5, 0.99)],
                "server_cpu_share_while_timed": round(cpu / seconds, 2),
                "server_threads_before_after": [before[0], after[0]],
                "server_rss_mb_before_after": [round(before[1]), round(after[1])],
            }
        )
    finally:
        child.terminate()
        child.wait(10)
    return result


CAMPAIGN = Campaign(
    "serving-models",
    "threaded server against grpc.aio, the same streams held",
    add_arguments,
    run,
    never_fails,
    description=__doc__ or "",
)

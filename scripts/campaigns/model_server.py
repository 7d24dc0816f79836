"""Two gRPC servers of the same small service, threaded and `grpc.aio`, for `soak serving-models`.

The service has the shapes of the daemon's calls, without its devices: a unary call (a little CPU
work, like ListDevices), a watch stream fed by a thread (like device events from a supervisor), a
low-rate frame stream fed by a producer thread (like the shared face preview), and the standard
`grpc.health.v1` service (the sync servicer in the threaded server, the asyncio one in the aio
server). Run as `python scripts/campaigns/model_server.py MODEL SOCKET WORKERS`; it prints "ready" once
serving and stops on SIGTERM. Measurement only: the daemon never uses this.
"""

from __future__ import annotations

import asyncio
import hashlib
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2_grpc

SERVICE = "soak.ServingModel"
EVENT_EVERY_S = 1.0
FRAME_EVERY_S = 0.5
FRAME = bytes(4096)
_POLL = 0.25  # as the daemon's watch: wakes to notice a cancelled client


def _identity(data: bytes) -> bytes:
    return data


def _unary_work(request: bytes) -> bytes:
    return hashlib.sha256(request * 64).digest()


class Ticker:
    """A thread that bumps a counter every `every` seconds and tells every listener."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.count = 0
        self.changed = threading.Condition()
        self._listeners: list[Callable[[int], None]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def listen(self, listener: Callable[[int], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def _run(self) -> None:
        while True:
            time.sleep(self.every)
            with self.changed:
                self.count += 1
                self.changed.notify_all()
            with self._lock:
                listeners = list(self._listeners)
            for listener in listeners:
                listener(self.count)


def _follow(
    ticker: Ticker, seen: int, context: grpc.ServicerContext, item: bytes
) -> Iterator[bytes]:
    """`item` for every tick after the `seen`-th, while the client stays."""
    while context.is_active():
        with ticker.changed:
            if ticker.count == seen:
                ticker.changed.wait(timeout=_POLL)
        if ticker.count != seen:
            seen = ticker.count
            yield item


def _threaded_server(workers: int, events: Ticker, frames: Ticker) -> grpc.Server:
    def watch(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        seen = events.count
        context.send_initial_metadata(())
        yield from _follow(events, seen, context, b"event")

    def preview(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        yield from _follow(frames, frames.count, context, FRAME)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    "Unary": grpc.unary_unary_rpc_method_handler(
                        lambda request, context: _unary_work(request), _identity, _identity
                    ),
                    "Watch": grpc.unary_stream_rpc_method_handler(watch, _identity, _identity),
                    "Preview": grpc.unary_stream_rpc_method_handler(preview, _identity, _identity),
                },
            ),
        )
    )
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    return server


def _aio_server(events: Ticker, frames: Ticker) -> grpc.aio.Server:
    loop = asyncio.get_running_loop()
    event_queues: set[asyncio.Queue[int]] = set()
    frame_queues: set[asyncio.Queue[int]] = set()

    def fan_out(queues: set[asyncio.Queue[int]]) -> Callable[[int], None]:
        def deliver(count: int) -> None:
            for queue in list(queues):
                if queue.empty():  # newest only, as the daemon's fan-out
                    queue.put_nowait(count)

        def from_thread(count: int) -> None:
            loop.call_soon_threadsafe(deliver, count)

        return from_thread

    events.listen(fan_out(event_queues))
    frames.listen(fan_out(frame_queues))

    async def unary(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return _unary_work(request)

    def streaming(queues: set[asyncio.Queue[int]], payload: bytes) -> Any:
        async def stream(
            request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]
        ) -> AsyncIterator[bytes]:
            queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
            queues.add(queue)
            try:
                await context.send_initial_metadata(())
                while True:
                    await queue.get()
                    yield payload
            finally:
                queues.discard(queue)

        return stream

    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    "Unary": grpc.unary_unary_rpc_method_handler(unary, _identity, _identity),
                    "Watch": grpc.unary_stream_rpc_method_handler(
                        streaming(event_queues, b"event"), _identity, _identity
                    ),
                    "Preview": grpc.unary_stream_rpc_method_handler(
                        streaming(frame_queues, FRAME), _identity, _identity
                    ),
                },
            ),
        )
    )
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    return server


async def _serve_aio(socket: str) -> None:
    server = _aio_server(Ticker(EVENT_EVERY_S), Ticker(FRAME_EVERY_S))
    server.add_insecure_port(f"unix:{socket}")
    await server.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await server.stop(0)


def main(model: str, socket: str, workers: int) -> None:
    if model == "aio":
        asyncio.run(_serve_aio(socket))
        return
    server = _threaded_server(workers, Ticker(EVENT_EVERY_S), Ticker(FRAME_EVERY_S))
    server.add_insecure_port(f"unix:{socket}")
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    while not stop.wait(0.2):
        pass
    server.stop(0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))

"""Health answers outside the RPC pool: with every RPC thread held by other calls, `Health.Check`
answers and `Health.Watch` streams its status (a real server on a real socket; the held calls wait
on an event, released at the end). Before, health queued behind the calls that held the pool."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kitd.api.languages import CallLanguages
from kitd.locale.catalogs import Catalogs
from kitd.server.health import HELD_PACKAGES, KitHealth
from kitd.server.stream_budget import StreamBudget

POOL = 2


class Busy:
    """A service whose calls hold their RPC thread until released."""

    def __init__(self) -> None:
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()

    def hold(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        self.entered.release()
        self.release.wait()
        return b""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[grpc.Channel, Busy]]:
    busy = Busy()
    budget = StreamBudget(8, 8, CallLanguages(Catalogs.builtin()), lambda metadata: False)
    health = KitHealth(budget, lambda: 3)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=POOL))
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "test.Busy", {"Hold": grpc.unary_unary_rpc_method_handler(busy.hold)}
            ),
        )
    )
    health.add_to(server)
    health.set("", health_pb2.HealthCheckResponse.SERVING)
    address = f"unix:{tmp_path / 'health.sock'}"
    server.add_insecure_port(address)
    server.start()
    channel = grpc.insecure_channel(address)
    try:
        yield channel, busy
    finally:
        busy.release.set()
        channel.close()
        server.stop(None)
        health.close()


def test_health_answers_while_every_rpc_thread_is_held(
    served: tuple[grpc.Channel, Busy],
) -> None:
    channel, busy = served
    hold = channel.unary_unary("/test.Busy/Hold")
    calls = [hold.future(b"", timeout=60) for _ in range(POOL + 1)]
    for _ in range(POOL):
        assert busy.entered.acquire(timeout=30)  # every RPC thread is now held
    stub = health_pb2_grpc.HealthStub(channel)
    response, call = stub.Check.with_call(health_pb2.HealthCheckRequest(), timeout=10)
    assert response.status == health_pb2.HealthCheckResponse.SERVING
    assert dict(call.trailing_metadata())[HELD_PACKAGES] == "3"
    watch = stub.Watch(health_pb2.HealthCheckRequest(), timeout=10)
    assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
    watch.cancel()
    assert not calls[POOL].done()  # the extra call still waits for a thread
    busy.release.set()
    for call_future in calls:
        call_future.result(timeout=30)

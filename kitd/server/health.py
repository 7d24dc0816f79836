"""`grpc.health.v1.Health`, answered outside the RPC pool: whatever the other calls hold, health answers.

`Check` runs on a few threads of its own (gRPC's per-method thread pool), so calls that fill every
RPC thread cannot make it wait. `Watch` holds no thread at all (gRPC's non-blocking stream: the
status is pushed when it changes), and is capped per method and per caller like every stream
(kitd/server/stream_budget.py), so watchers cost memory, never threads, and never unbounded memory.

`Check` also tells what a probe should pass on to a person, as trailing metadata: `kit-held-packages`,
the packages never delivered that a moved clock calls expired (kept until a person decides). The count
is left out rather than waited for when the outbox is busy: health never waits on the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2

from kitd.server.stream_budget import StreamBudget

SERVICE = "grpc.health.v1.Health"
WATCH_METHOD = f"/{SERVICE}/Watch"
# Check takes microseconds; two threads let one slow client not delay another probe.
THREADS = 2
HELD_PACKAGES = "kit-held-packages"

Respond = Callable[[health_pb2.HealthCheckResponse | None], None]


class KitHealth:
    """The health service on threads of its own; `set` and `enter_graceful_shutdown` as grpc's."""

    def __init__(self, budget: StreamBudget, held_packages: Callable[[], int | None]) -> None:
        self._statuses = health.HealthServicer(experimental_non_blocking=True)
        self._budget = budget
        self._held_packages = held_packages
        self._pool = futures.ThreadPoolExecutor(THREADS, thread_name_prefix="health")

    def set(self, service: str, status: int) -> None:
        self._statuses.set(service, status)

    def enter_graceful_shutdown(self) -> None:
        self._statuses.enter_graceful_shutdown()

    def add_to(self, server: grpc.Server) -> None:
        check_handler = _own(self._check, self._pool, non_blocking=False)
        watch_handler = _own(self._watch, self._pool, non_blocking=True)
        server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    SERVICE,
                    {
                        "Check": grpc.unary_unary_rpc_method_handler(
                            check_handler,
                            health_pb2.HealthCheckRequest.FromString,
                            health_pb2.HealthCheckResponse.SerializeToString,
                        ),
                        "Watch": grpc.unary_stream_rpc_method_handler(
                            watch_handler,
                            health_pb2.HealthCheckRequest.FromString,
                            health_pb2.HealthCheckResponse.SerializeToString,
                        ),
                    },
                ),
            )
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False)

    def _check(
        self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext
    ) -> health_pb2.HealthCheckResponse:
        response: health_pb2.HealthCheckResponse = self._statuses.Check(request, context)
        held = self._held_packages()
        if held is not None:
            context.set_trailing_metadata(((HELD_PACKAGES, str(held)),))
        return response

    def _watch(
        self,
        request: health_pb2.HealthCheckRequest,
        context: grpc.ServicerContext,
        respond: Respond | None = None,
    ) -> Iterator[health_pb2.HealthCheckResponse] | None:
        self._budget.admit(WATCH_METHOD, context)
        watcher: Iterator[health_pb2.HealthCheckResponse] | None = self._statuses.Watch(
            request, context, respond
        )
        return watcher


def _own(
    behaviour: Callable[..., Any], pool: futures.ThreadPoolExecutor, *, non_blocking: bool
) -> Callable[..., Any]:
    """`behaviour` as a function carrying gRPC's per-method hooks: run on `pool`, and (for a
    response stream) be handed a callback to push responses instead of holding a thread.
    """

    def run(*args: Any) -> Any:
        return behaviour(*args)

    hooks = vars(run)
    hooks["experimental_thread_pool"] = pool
    hooks["experimental_non_blocking"] = non_blocking
    return run

"""Open streams are capped so that they can never take every RPC thread.

The server is threaded (`api.workers` threads) and an open stream holds a thread for as long as it
is open. Without a cap, 16 `Health.Watch` streams (which need no token), 15 device watches or 15
browser tabs made every other call wait until they closed. Streams of all kinds together may hold at
most `workers - UNARY_RESERVE` threads, and streams of one method at most half of those, so that one
kind cannot crowd out the others; a stream beyond the cap is refused at once with RESOURCE_EXHAUSTED
(ERROR_REASON_TOO_MANY_STREAMS, metadata `method`, `limit`). The reserved threads keep unary calls,
health checks among them, answered whatever the streams do.

A slot is given back when the call ends however it ends (`context.add_callback`).
"""

from __future__ import annotations

import threading
from typing import Any

import grpc

from kitd.api.languages import CallLanguages
from kitd.api.status import rich_status
from kitd.server.handlers import Behaviour, WrappingInterceptor

# Threads kept for unary calls (and health checks) whatever the streams hold.
UNARY_RESERVE = 4


class StreamBudgetInterceptor(WrappingInterceptor):
    """Caps open streams, in all and per method; see the module docstring."""

    def __init__(self, workers: int, languages: CallLanguages) -> None:
        self.total_limit = max(1, workers - UNARY_RESERVE)
        self.method_limit = max(1, self.total_limit // 2)
        self._languages = languages
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}
        self._total = 0

    def open_streams(self) -> dict[str, int]:
        with self._lock:
            return {method: count for method, count in self._open.items() if count}

    def wrap(
        self, method: str, behaviour: Behaviour, request_streaming: bool, response_streaming: bool
    ) -> Behaviour:
        if not (request_streaming or response_streaming):
            return behaviour

        def budgeted(request: Any, context: grpc.ServicerContext) -> Any:
            limit = self._take(method)
            if limit is not None:
                name = method.rsplit("/", 1)[-1]
                context.abort_with_status(
                    rich_status(
                        grpc.StatusCode.RESOURCE_EXHAUSTED,
                        "TOO_MANY_STREAMS",
                        self._languages.of_call(context).id(
                            "error.too_many_streams", method=name, limit=limit
                        ),
                        {"method": name, "limit": str(limit)},
                    )
                )
            released = threading.Event()

            def give_back() -> None:
                if not released.is_set():
                    released.set()
                    self._give(method)

            if not context.add_callback(give_back):
                give_back()  # the call already ended
            return behaviour(request, context)

        return budgeted

    def _take(self, method: str) -> int | None:
        """None when a slot was taken, else the limit that refused it."""
        with self._lock:
            if self._total >= self.total_limit:
                return self.total_limit
            if self._open.get(method, 0) >= self.method_limit:
                return self.method_limit
            self._open[method] = self._open.get(method, 0) + 1
            self._total += 1
            return None

    def _give(self, method: str) -> None:
        with self._lock:
            self._open[method] -= 1
            self._total -= 1

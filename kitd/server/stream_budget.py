"""Open streams are capped so that they can never take every RPC thread, nor the visit's streams.

The server is threaded (`api.workers` threads) and an open stream holds a thread for as long as it
is open. Without a cap, 16 `Health.Watch` streams (which need no token), 15 device watches or 15
browser tabs made every other call wait until they closed. Now:

* streams of all kinds together hold at most `workers - UNARY_RESERVE` threads, so that unary calls,
  health checks among them, always find a thread;
* watching streams (health and device watches, self-tests: anything outside the capture service) hold
  at most that less CAPTURE_RESERVE, and one watching method at most half of it, so that the visit's
  own streams (preview, finger and signature capture) always find a slot and one kind of watcher
  cannot crowd out the others;
* a capture method holds at most CAPTURE_PER_METHOD streams (one visit runs at a time).

A stream beyond a cap is refused at once with RESOURCE_EXHAUSTED (ERROR_REASON_TOO_MANY_STREAMS,
metadata `method`, `limit`); its slot is given back when the call ends however it ends
(`context.add_callback`).
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
# Stream slots kept for the visit's own streams whatever the watchers hold.
CAPTURE_RESERVE = 4
CAPTURE_PER_METHOD = 4
CAPTURE_SERVICE = "/kit.v1.CaptureService/"


class StreamBudgetInterceptor(WrappingInterceptor):
    """Caps open streams, in all and per method; see the module docstring."""

    def __init__(self, workers: int, languages: CallLanguages) -> None:
        self.total_limit = max(1, workers - UNARY_RESERVE)
        self.watch_limit = max(1, self.total_limit - CAPTURE_RESERVE)
        self.watch_method_limit = max(1, self.watch_limit // 2)
        self._languages = languages
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}
        self._total = 0
        self._watching = 0

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
        capture = method.startswith(CAPTURE_SERVICE)
        with self._lock:
            if self._total >= self.total_limit:
                return self.total_limit
            if not capture and self._watching >= self.watch_limit:
                return self.watch_limit
            method_limit = CAPTURE_PER_METHOD if capture else self.watch_method_limit
            if self._open.get(method, 0) >= method_limit:
                return method_limit
            self._open[method] = self._open.get(method, 0) + 1
            self._total += 1
            self._watching += 0 if capture else 1
            return None

    def _give(self, method: str) -> None:
        with self._lock:
            self._open[method] -= 1
            self._total -= 1
            self._watching -= 0 if method.startswith(CAPTURE_SERVICE) else 1

"""Open streams are capped per method and per caller, so that none can starve another call.

The server is threaded and an open stream holds a thread for as long as it is open (the measured
alternative, `grpc.aio`, is in docs/reliability.md). The pool is sized so that caps, not threads, are
what runs out: `workers` threads for unary calls plus `streams_per_method` for every streaming
method. So:

* a streaming method holds at most `streams_per_method` streams: a crowd of device watches cannot
  take the visit's preview, nor the unary calls' threads;
* one caller holds at most `streams_per_caller` streams of a method: one app with a leak cannot take
  a method's every slot from the others. A caller is who authenticated: a TLS client certificate's
  subject, else the kit's token, else nobody (health and reflection answer callers without a token).
  Callers on the Unix socket are not told apart further: the socket carries no identity gRPC shows;
* health runs on threads of its own and its watch holds none (kitd/server/health.py): the pool is
  not health's, though its watches are capped like any stream (they cost memory).

A stream beyond a cap is refused at once with RESOURCE_EXHAUSTED, ERROR_REASON_TOO_MANY_STREAMS
(the method's cap) or ERROR_REASON_TOO_MANY_STREAMS_OF_CALLER (the caller's), metadata `method`,
`limit` (and `caller`); its slot is given back when the call ends however it ends
(`context.add_callback`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import grpc

from kitd.api.languages import CallLanguages
from kitd.api.status import rich_status
from kitd.locale.message import Message
from kitd.server.handlers import Behaviour, WrappingInterceptor

Metadata = Iterable[tuple[str, str | bytes]] | None


@dataclass(frozen=True)
class Caller:
    """Who holds a stream: `key` tells callers apart, `name` says who it is to a person."""

    key: str
    name: Message


TOKEN_HOLDER = Caller("token", Message("caller.token"))
ANONYMOUS = Caller("anonymous", Message("caller.anonymous"))


def caller_of(context: grpc.ServicerContext, holds_token: Callable[[Metadata], bool]) -> Caller:
    """The caller of a call: its TLS client certificate, else the token it holds, else nobody."""
    identities = context.peer_identities()
    if identities:
        subject = b",".join(identities).decode("utf-8", "replace")
        return Caller(f"certificate:{subject}", Message.of("caller.certificate", subject=subject))
    return TOKEN_HOLDER if holds_token(context.invocation_metadata()) else ANONYMOUS


class StreamBudget:
    """Open streams by method and by caller; `admit` takes a slot or refuses the call."""

    def __init__(
        self,
        per_method: int,
        per_caller: int,
        languages: CallLanguages,
        holds_token: Callable[[Metadata], bool],
    ) -> None:
        self.per_method = per_method
        self.per_caller = per_caller
        self._languages = languages
        self._holds_token = holds_token
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()
        self._by_caller: Counter[tuple[str, str]] = Counter()

    def open_streams(self) -> dict[str, int]:
        with self._lock:
            return {method: count for method, count in self._open.items() if count}

    def admit(self, method: str, context: grpc.ServicerContext) -> None:
        """Takes a slot for this call until it ends, or aborts it with RESOURCE_EXHAUSTED."""
        caller = caller_of(context, self._holds_token)
        with self._lock:
            method_full = self._open[method] >= self.per_method
            caller_full = self._by_caller[(method, caller.key)] >= self.per_caller
            if not (method_full or caller_full):
                self._open[method] += 1
                self._by_caller[(method, caller.key)] += 1
        if method_full or caller_full:
            self._refuse(context, method, caller, of_caller=not method_full)
        released = threading.Event()

        def give_back() -> None:
            if not released.is_set():
                released.set()
                with self._lock:
                    self._open[method] -= 1
                    self._by_caller[(method, caller.key)] -= 1

        if not context.add_callback(give_back):
            give_back()  # the call already ended

    def _refuse(
        self, context: grpc.ServicerContext, method: str, caller: Caller, *, of_caller: bool
    ) -> None:
        name = method.rsplit("/", 1)[-1]
        texts = self._languages.of_call(context)
        if of_caller:
            limit = self.per_caller
            reason = "TOO_MANY_STREAMS_OF_CALLER"
            message = texts.id(
                "error.too_many_streams_of_caller", method=name, limit=limit, caller=caller.name
            )
            metadata = {"method": name, "limit": str(limit), "caller": caller.key}
        else:
            limit = self.per_method
            reason = "TOO_MANY_STREAMS"
            message = texts.id("error.too_many_streams", method=name, limit=limit)
            metadata = {"method": name, "limit": str(limit)}
        context.abort_with_status(
            rich_status(grpc.StatusCode.RESOURCE_EXHAUSTED, reason, message, metadata)
        )


class StreamBudgetInterceptor(WrappingInterceptor):
    """Every streaming call of the kit's services is admitted by the budget before it runs."""

    def __init__(self, budget: StreamBudget) -> None:
        self.budget = budget

    def wrap(
        self,
        method: str,
        behaviour: Behaviour,
        *,
        request_streaming: bool,
        response_streaming: bool,
    ) -> Behaviour:
        if not (request_streaming or response_streaming):
            return behaviour

        def budgeted(request: Any, context: grpc.ServicerContext) -> Any:
            self.budget.admit(method, context)
            return behaviour(request, context)

        return budgeted

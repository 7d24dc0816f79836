"""Wrapping a gRPC method handler's behaviour, whatever its streaming shape, for server interceptors.

Interceptors here add a check or a translation around the servicer call; they never change what a
servicer receives or returns.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeAlias

import grpc

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # generic in the stubs only
# (request or request iterator, context) -> response or response iterator
Behaviour = Callable[[Any, grpc.ServicerContext], Any]


class Wrap(Protocol):
    """Given a behaviour and its streaming shape, returns the behaviour the server calls."""

    def __call__(
        self, behaviour: Behaviour, *, request_streaming: bool, response_streaming: bool
    ) -> Behaviour: ...


# Health runs on threads of its own and its watch holds none (kitd/server/health.py): a wrapped
# behaviour would lose both, so health is left as it is.
UNWRAPPED = ("/grpc.health.v1.Health/",)


def wrap_handler(handler: Handler, wrap: Wrap) -> Handler:
    """The handler with its behaviour replaced by what `wrap` makes of it."""
    deserializer = handler.request_deserializer
    serializer = handler.response_serializer
    if handler.request_streaming and handler.response_streaming:
        assert handler.stream_stream is not None
        behaviour = wrap(handler.stream_stream, request_streaming=True, response_streaming=True)
        return grpc.stream_stream_rpc_method_handler(behaviour, deserializer, serializer)
    if handler.request_streaming:
        assert handler.stream_unary is not None
        behaviour = wrap(handler.stream_unary, request_streaming=True, response_streaming=False)
        return grpc.stream_unary_rpc_method_handler(behaviour, deserializer, serializer)
    if handler.response_streaming:
        assert handler.unary_stream is not None
        behaviour = wrap(handler.unary_stream, request_streaming=False, response_streaming=True)
        return grpc.unary_stream_rpc_method_handler(behaviour, deserializer, serializer)
    assert handler.unary_unary is not None
    behaviour = wrap(handler.unary_unary, request_streaming=False, response_streaming=False)
    return grpc.unary_unary_rpc_method_handler(behaviour, deserializer, serializer)


def each_request(requests: Iterator[Any], check: Callable[[Any], None]) -> Iterator[Any]:
    """A client stream whose every message goes through `check` before the servicer sees it."""
    for request in requests:
        check(request)
        yield request


class WrappingInterceptor(grpc.ServerInterceptor, abc.ABC):
    """A server interceptor that wraps the behaviour of every method it sees; `wrap` says how."""

    def intercept_service(
        self,
        continuation: Any,
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler: Handler | None = continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(UNWRAPPED):
            return handler
        return wrap_handler(handler, functools.partial(self.wrap, method))

    @abc.abstractmethod
    def wrap(
        self,
        method: str,
        behaviour: Behaviour,
        *,
        request_streaming: bool,
        response_streaming: bool,
    ) -> Behaviour:
        """The behaviour the server calls instead of `behaviour` for `method`."""

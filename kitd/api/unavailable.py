"""A servicer for a capability this daemon does not (yet) provide: every RPC answers UNIMPLEMENTED,
with reason CAPABILITY_MISSING and a message naming the capability, instead of gRPC's bare default."""

from __future__ import annotations

from typing import Any

import grpc

from kitd.api.status import abort
from kitd.errors import CapabilityMissing


def unavailable_servicer(base: type[Any], capability: str) -> Any:
    def make(name: str) -> Any:
        def method(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
            abort(context, CapabilityMissing(f"{name}: {capability} is not available in this kitd"))

        return method

    methods = {
        name: make(name)
        for name in dir(base)
        if not name.startswith("_") and callable(getattr(base, name))
    }
    return type(f"Unavailable{base.__name__}", (base,), methods)()

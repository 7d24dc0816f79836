"""A caller over mutual TLS is its client certificate: its cap of streams is its own, counted apart
from the token holders on the Unix socket of the same server. A real server on a TCP port with the
demo PKI and on a Unix socket; the streams wait on an event, released at the end."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from backoffice.demo_pki import generate_demo_pki
from kitd.api.languages import CallLanguages
from kitd.locale.catalogs import Catalogs
from kitd.server.auth import TokenAuthInterceptor
from kitd.server.stream_budget import StreamBudget, StreamBudgetInterceptor

PER_CALLER = 1
TOKEN = "test-token"
BEARER = (("authorization", f"Bearer {TOKEN}"),)


@dataclass
class Served:
    tls: grpc.Channel
    unix: grpc.Channel
    release: threading.Event


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    pki = generate_demo_pki(tmp_path / "pki")
    release = threading.Event()

    def hold(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        yield b"open"
        release.wait()

    auth = TokenAuthInterceptor(TOKEN)
    budget = StreamBudget(8, PER_CALLER, CallLanguages(Catalogs.builtin()), auth.holds_token)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        interceptors=[auth, StreamBudgetInterceptor(budget)],
    )
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "test.Streams", {"Hold": grpc.unary_stream_rpc_method_handler(hold)}
            ),
        )
    )
    port = server.add_secure_port(
        "127.0.0.1:0",
        grpc.ssl_server_credentials(
            [(pki.server_key.read_bytes(), pki.server_cert.read_bytes())],
            root_certificates=pki.ca_cert.read_bytes(),
            require_client_auth=True,
        ),
    )
    unix = f"unix:{tmp_path / 'streams.sock'}"
    server.add_insecure_port(unix)
    server.start()
    tls = grpc.secure_channel(
        f"127.0.0.1:{port}",
        grpc.ssl_channel_credentials(
            root_certificates=pki.ca_cert.read_bytes(),
            private_key=pki.client_key.read_bytes(),
            certificate_chain=pki.client_cert.read_bytes(),
        ),
    )
    local = grpc.insecure_channel(unix)
    try:
        yield Served(tls, local, release)
    finally:
        release.set()
        tls.close()
        local.close()
        server.stop(None)


def hold(channel: grpc.Channel) -> Any:
    return channel.unary_stream("/test.Streams/Hold")(b"", metadata=BEARER, timeout=30)


def test_a_certificates_cap_is_its_own_and_names_it(served: Served) -> None:
    by_certificate = hold(served.tls)
    assert next(by_certificate) == b"open"
    refused = hold(served.tls)
    with pytest.raises(grpc.RpcError) as caught:
        next(refused)
    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    status = rpc_status.from_call(caught.value)  # type: ignore[arg-type]
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert info.reason == "ERROR_REASON_TOO_MANY_STREAMS_OF_CALLER"
    assert info.metadata["caller"] == "certificate:kitd kit"
    by_token = hold(served.unix)  # the token holder on the socket is another caller
    assert next(by_token) == b"open"
    for stream in (by_certificate, by_token):
        stream.cancel()

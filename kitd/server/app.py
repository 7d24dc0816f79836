"""Runs the daemon: the Kit, the gRPC server on its Unix socket (and optional mTLS TCP), health,
reflection, systemd notification and a clean shutdown on SIGTERM/SIGINT.

Shutdown: STOPPING is announced, health turns NOT_SERVING, new calls are refused, streams end with
UNAVAILABLE ("kitd is shutting down"), unary calls get up to `GRACE` seconds to finish, the devices are
released and the socket removed; the process exits 0 well within systemd's 5 s budget.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from concurrent import futures
from types import FrameType

import grpc
from grpc_health.v1 import health, health_pb2
from grpc_reflection.v1alpha import reflection

from kit.v1 import (
    capture_service_pb2,
    capture_service_pb2_grpc,
    device_service_pb2,
    device_service_pb2_grpc,
    outbox_service_pb2,
    outbox_service_pb2_grpc,
)
from kitd.api.capture import CaptureServicer
from kitd.api.devices import DeviceServicer
from kitd.api.languages import CallLanguages
from kitd.api.outbox import OutboxServicer
from kitd.config import Config
from kitd.kit import Kit
from kitd.locale.catalogs import Catalogs
from kitd.server.auth import TokenAuthInterceptor, load_or_create_token
from kitd.server.health import KitHealth
from kitd.server.internal_errors import InternalErrorInterceptor
from kitd.server.listener import prepare_socket_path, remove_socket, secure_socket
from kitd.server.notify import Notifier
from kitd.server.request_validation import RequestValidationInterceptor
from kitd.server.stream_budget import StreamBudget, StreamBudgetInterceptor

log = logging.getLogger("kitd")

GRACE = 2.0
SERVICES = (
    device_service_pb2.DESCRIPTOR.services_by_name["DeviceService"],
    capture_service_pb2.DESCRIPTOR.services_by_name["CaptureService"],
    outbox_service_pb2.DESCRIPTOR.services_by_name["OutboxService"],
)
SERVICE_NAMES = tuple(service.full_name for service in SERVICES)
# Streaming methods that hold an RPC thread while open: the kit's own and reflection's one.
STREAMING_METHODS = (
    sum(
        1
        for service in SERVICES
        for method in service.methods
        if method.client_streaming or method.server_streaming
    )
    + 1
)
# Held-package count for a health check: never longer than this waiting on the outbox.
HEALTH_DETAIL_WAIT_S = 0.05


def rpc_threads(workers: int, streams_per_method: int) -> int:
    """The RPC pool: `workers` for unary calls, and every streaming method's cap on top, so that a
    cap, never the pool, is what refuses a stream.
    """
    return workers + STREAMING_METHODS * streams_per_method


class Daemon:
    """The running daemon: the kit, the gRPC server and the systemd notifications."""

    def __init__(self, config: Config, notifier: Notifier | None = None) -> None:
        self.config = config
        self.notifier = notifier or Notifier()
        self.kit = Kit(config)
        self._stop = threading.Event()
        self._server: grpc.Server | None = None
        self.health: KitHealth | None = None

    def start(self) -> None:
        config = self.config
        token = load_or_create_token(config.token_file)
        socket_path = config.api.socket
        prepare_socket_path(socket_path)
        languages = CallLanguages(Catalogs.builtin(), config.locale.default)
        auth = TokenAuthInterceptor(token)
        # Streams hold a thread each: capped per method and per caller (stream_budget.py).
        self.streams = StreamBudget(
            config.api.streams_per_method,
            config.api.streams_per_caller,
            languages,
            auth.holds_token,
        )
        self.health = health_service = KitHealth(
            self.streams, lambda: self.kit.outbox.held_count(HEALTH_DETAIL_WAIT_S)
        )
        threads = rpc_threads(config.api.workers, config.api.streams_per_method)

        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rpc"),
            # Outermost first: who calls, then no untyped status, then the request contract.
            interceptors=[
                auth,
                InternalErrorInterceptor(languages),
                StreamBudgetInterceptor(self.streams),
                RequestValidationInterceptor(languages),
            ],
            options=[("grpc.so_reuseport", 0), ("grpc.max_send_message_length", 32 * 1024 * 1024)],
        )
        device_service_pb2_grpc.add_DeviceServiceServicer_to_server(
            DeviceServicer(self.kit, languages), server
        )
        capture_service_pb2_grpc.add_CaptureServiceServicer_to_server(
            CaptureServicer(self.kit.visits, languages), server
        )
        outbox_service_pb2_grpc.add_OutboxServiceServicer_to_server(
            OutboxServicer(
                self.kit.outbox, self.kit.uploader, languages, clock_state=self.kit.clock.state
            ),
            server,
        )
        health_service.add_to(server)
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
        )
        old_umask = os.umask(0o117)  # the socket is born 0660, never briefly wider
        try:
            server.add_insecure_port(f"unix:{socket_path}")
        finally:
            os.umask(old_umask)
        secure_socket(socket_path)
        if config.api.tcp:
            server.add_secure_port(config.api.tcp, self._tls_credentials())
        self.kit.start()
        server.start()
        self._server = server
        for name in ("", *SERVICE_NAMES):
            health_service.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("kitd ready", extra={"socket": str(socket_path), "kit_id": config.kit_id})
        self.notifier.ready(f"serving on {socket_path}")

    def _tls_credentials(self) -> grpc.ServerCredentials:
        api = self.config.api
        assert api.tls_cert and api.tls_key and api.tls_client_ca
        return grpc.ssl_server_credentials(
            [(api.tls_key.read_bytes(), api.tls_cert.read_bytes())],
            root_certificates=api.tls_client_ca.read_bytes(),
            require_client_auth=True,
        )

    def request_stop(self) -> None:
        self._stop.set()

    def wait(self) -> None:
        """Blocks until a stop is requested, sending watchdog keep-alives if systemd wants them."""
        interval = self.notifier.watchdog_interval()
        next_keepalive = time.monotonic() + (interval or 0.0)
        # Short slices: a blocking wait without timeout would hold off the signal handlers.
        while not self._stop.wait(0.2):
            if interval and time.monotonic() >= next_keepalive:
                self.notifier.watchdog()
                next_keepalive = time.monotonic() + interval

    def stop(self) -> None:
        started = time.monotonic()
        self.notifier.stopping()
        if self.health is not None:
            self.health.enter_graceful_shutdown()
        self.kit.stopping.set()
        if self._server is not None:
            self._server.stop(GRACE).wait(GRACE + 1.0)
        if self.health is not None:
            self.health.close()
        self.kit.stop()
        remove_socket(self.config.api.socket)
        log.info("kitd stopped", extra={"seconds": round(time.monotonic() - started, 3)})


def run(config: Config) -> int:
    """Runs the daemon in the foreground until SIGTERM or SIGINT; returns the exit code."""
    daemon = Daemon(config)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        daemon.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    daemon.start()
    try:
        daemon.wait()
    finally:
        daemon.stop()
    return 0

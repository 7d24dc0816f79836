"""A client of the kit.v1 API over the daemon's Unix socket, for kitd's own front ends
(kitctl, kit-selftest, kit-console) and the tests. It adds the token to every call; it holds no logic.
`KitClient` is blocking; `AsyncKitClient` is the same API on grpc.aio for front ends that run on an
event loop. `DaemonError` reads the daemon's rich status (message, reason, metadata) off a failed call.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kit.v1 import capture_service_pb2_grpc, device_service_pb2_grpc, outbox_service_pb2_grpc
from kitd.config import ConfigError, load_config


class ClientSetupError(Exception):
    """The client cannot find the daemon's socket or token."""


@dataclass(frozen=True)
class Endpoint:
    """Where the daemon listens and the file that holds its token."""

    socket: Path
    token_file: Path

    @classmethod
    def from_config(cls, path: Path) -> Endpoint:
        try:
            config = load_config(path)
        except ConfigError as exc:
            raise ClientSetupError(str(exc)) from None
        return cls(config.api.socket, config.token_file)

    @classmethod
    def discover(
        cls,
        config: Path | None = None,
        socket: Path | None = None,
        token_file: Path | None = None,
    ) -> Endpoint:
        """From explicit paths, else a configuration file (argument or $KITD_CONFIG), else the
        system defaults (/etc/kitd/kitd.toml).
        """
        config = config or (
            Path(os.environ["KITD_CONFIG"]) if "KITD_CONFIG" in os.environ else None
        )
        if socket and token_file:
            return cls(socket, token_file)
        if config is None and Path("/etc/kitd/kitd.toml").is_file():
            config = Path("/etc/kitd/kitd.toml")
        if config is None:
            raise ClientSetupError(
                "no daemon configuration: pass --config FILE (or set KITD_CONFIG), "
                "or --socket and --token-file"
            )
        endpoint = cls.from_config(config)
        return cls(socket or endpoint.socket, token_file or endpoint.token_file)


CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 32 * 1024 * 1024)]
DETAILS_KEY = "grpc-status-details-bin"


def token_metadata(endpoint: Endpoint) -> tuple[tuple[str, str], ...]:
    """The token as call metadata, once the socket is known to be one only the daemon could have
    made (check_socket_path).
    """
    try:
        daemon_uid = endpoint.token_file.stat().st_uid
        token = endpoint.token_file.read_text().strip()
    except OSError as exc:
        raise ClientSetupError(
            f"cannot read the API token {endpoint.token_file}: {exc.strerror}"
        ) from None
    check_socket_path(endpoint.socket, daemon_uid)
    return (("authorization", f"Bearer {token}"),)


def check_socket_path(path: Path, daemon_uid: int) -> None:
    """ClientSetupError unless the socket and its folder belong to the daemon (the token file's
    owner) or root and the folder is not writable by group or others: whoever else could put a
    socket there would collect the token of every call. The daemon refuses such a folder; a client
    must not go there either, whatever listens.
    """
    trusted = {0, daemon_uid}
    for item, info in ((path.parent, _stat(path.parent, follow=True)), (path, _stat(path))):
        if info is None:
            continue  # not there yet: nothing to connect to either
        if info.st_uid not in trusted:
            raise ClientSetupError(
                f"{item} belongs to uid {info.st_uid}, not to the daemon (the token's owner, uid "
                f"{daemon_uid}) or root: the token is not sent there"
            )
    folder = _stat(path.parent, follow=True)
    if folder is not None and stat.S_IMODE(folder.st_mode) & 0o022:
        raise ClientSetupError(
            f"the socket's folder {path.parent} is writable by group or others "
            f"(mode {stat.S_IMODE(folder.st_mode):04o}): the token is not sent there"
        )


def _stat(path: Path, *, follow: bool = False) -> os.stat_result | None:
    try:
        return path.stat() if follow else path.lstat()
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class DaemonError:
    """What a failed call says to a person: the status code, the daemon's plain-language message,
    its ErrorReason name (empty when the status carries none) and the ErrorInfo metadata.
    """

    code: str
    message: str
    reason: str
    metadata: dict[str, str]

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> DaemonError:
        # grpc.RpcError declares no methods; blocking and aio errors are both grpc.Call-shaped.
        call: Any = error
        code = call.code()
        message = str(call.details() or "")
        reason, metadata = "", {}
        for key, value in call.trailing_metadata() or ():
            if key != DETAILS_KEY:
                continue
            status = status_pb2.Status.FromString(value)
            message = status.message or message
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    reason, metadata = info.reason, dict(info.metadata)
        return cls(code.name if code is not None else "UNKNOWN", message, reason, metadata)


class KitClient:
    """A blocking kit.v1 client over the daemon's Unix socket, the token on every call."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.metadata = token_metadata(endpoint)
        self.channel = grpc.insecure_channel(f"unix:{endpoint.socket}", options=CHANNEL_OPTIONS)
        self.devices = device_service_pb2_grpc.DeviceServiceStub(self.channel)
        self.capture = capture_service_pb2_grpc.CaptureServiceStub(self.channel)
        self.outbox = outbox_service_pb2_grpc.OutboxServiceStub(self.channel)
        # The health stubs' type hints lack the RPC methods.
        self.health: Any = health_pb2_grpc.HealthStub(self.channel)

    def serving(self, timeout: float = 2.0) -> bool:
        try:
            response = self.health.Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.RpcError:
            return False
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncKitClient:
    """The kit.v1 stubs on a grpc.aio channel; create it inside the event loop that will use it."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.metadata = token_metadata(endpoint)
        self.channel = grpc.aio.insecure_channel(f"unix:{endpoint.socket}", options=CHANNEL_OPTIONS)
        self.devices = device_service_pb2_grpc.DeviceServiceStub(self.channel)
        self.capture = capture_service_pb2_grpc.CaptureServiceStub(self.channel)
        self.outbox = outbox_service_pb2_grpc.OutboxServiceStub(self.channel)

    async def close(self) -> None:
        await self.channel.close()

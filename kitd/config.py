"""kitd's configuration: one TOML file, validated completely at start.

Every table maps onto a frozen dataclass below. An unknown key, a value of the wrong type, a bad device
source or a missing file is a ConfigError naming the key (`devices.camera.source`), and `kitd serve`
exits with code 2. Production and CI differ only in this file. Nothing here opens devices or sockets.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hal.device import DeviceKind
from hal.registry import driver_class, resolve
from hal.source import SourceError, parse_source
from kitd.locale.catalogs import Catalogs
from kitd.outbox.config import OutboxConfig
from kitd.schema import SchemaError, build

# Device ids in the configuration and the API, and the kind each must be.
DEVICE_KINDS: dict[str, DeviceKind] = {
    "camera": DeviceKind.CAMERA,
    "fingerprint": DeviceKind.FINGERPRINT_SCANNER,
    "signature_pad": DeviceKind.SIGNATURE_PAD,
}


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


def default_socket_path() -> Path:
    """The API socket when none is configured: /run/kitd as root, else the user's runtime dir."""
    if os.geteuid() == 0:
        return Path("/run/kitd/kitd.sock")
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/kitd-{os.geteuid()}"
    return Path(runtime) / "kitd" / "kitd.sock"


@dataclass(frozen=True)
class ApiConfig:
    """The `[api]` section: the socket, the token, the optional TCP listener and the RPC threads."""

    # Unix socket of the API; its directory is created 0750, the socket is 0660.
    socket: Path = field(default_factory=default_socket_path)
    # Caller token, created 0600 at first start; default: <state_dir>/api-token.
    token_file: Path | None = None
    # Optional TCP listener ("host:port"), only with mutual TLS (all three files required).
    tcp: str = ""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    # Threads kept for unary calls; streams have threads of their own on top (docs/reliability.md).
    workers: int = 16
    # Open streams of one method at most, and of one method for one caller (the kit's token, a TLS
    # client certificate, or no credential): beyond either a stream is refused RESOURCE_EXHAUSTED.
    streams_per_method: int = 32
    streams_per_caller: int = 16


@dataclass(frozen=True)
class DeviceConfig:
    """One `[devices.*]` section: the device's source and its liveness probe interval."""

    source: str
    # Seconds between liveness probes of an idle device.
    ping_interval: float = 5.0


@dataclass(frozen=True)
class LoggingConfig:
    """The `[logging]` section: the log level."""

    level: str = "info"


@dataclass(frozen=True)
class LocaleConfig:
    """The `[locale]` section: the default language."""

    # The language of calls that neither belong to a session nor ask for one (`accept-language`), and
    # of sessions that ask for none: one of the catalogs (kitd/locale/catalogs), e.g. "nl" or "fr-BE".
    default: str = "en"


@dataclass(frozen=True)
class KeysConfig:
    """The `[keys]` section: the kit key's backend, the recipient key and the delivery keys."""

    # "pkcs11" (TPM via tpm2-pkcs11 on the board, SoftHSM2 in CI) or "file" (the fallback).
    backend: str = "file"
    # File key: PEM, 0600 in a 0700 folder; created at first start. Default <state_dir>/keys/kit-key.pem.
    key_file: Path | None = None
    module_path: Path | None = None
    token_label: str = ""
    pin_file: Path | None = None
    key_label: str = "kitd-kit-key"
    # The back office's public key (PEM): packages are sealed to it. Without it no visit can be finalized.
    recipient_public_key: Path | None = None
    # Where the kit publishes its public key list (kit-keys.json) for the back office.
    published_keys: Path | None = None
    # Card deliveries: the kit's delivery key (reference downloads are sealed to it; PEM, 0600 in a
    # 0700 folder, created at first start; default <state_dir>/keys/kit-delivery-key.pem, its public
    # key published as <state_dir>/kit-delivery-key.pub.pem) and the back office's public key that
    # signs reference downloads (without it no delivery visit can start).
    delivery_key_file: Path | None = None
    reference_signer_public_key: Path | None = None


@dataclass(frozen=True)
class OutboxSection:
    """The `[outbox]` section: the back-office receiver, retention and the free-space floor."""

    # https://host:port of the back-office receiver; empty keeps packages in the outbox.
    receiver_url: str = ""
    client_cert: Path | None = None
    client_key: Path | None = None
    ca_cert: Path | None = None
    retention_days: int = 90
    # Below this free space a new visit is refused.
    min_free_mb: int = 256
    backoff_initial_s: float = 5.0
    backoff_max_s: float = 900.0


@dataclass(frozen=True)
class ClockConfig:
    """The `[clock]` section: the daemon's clock seam, for soak campaigns and tests only."""

    # A file holding seconds the daemon adds to the system clock (kitd.clock.seam); never on a kit.
    offset_file: Path | None = None


@dataclass(frozen=True)
class PolicyConfig:
    """The `[policy]` section: folders with more document policies."""

    # Folders with more document policies (TOML), besides the built-in ones.
    dirs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Config:
    """The daemon's whole configuration, checked when it is read."""

    kit_id: str
    state_dir: Path
    api: ApiConfig = field(default_factory=ApiConfig)
    devices: dict[str, DeviceConfig] = field(default_factory=dict)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    keys: KeysConfig = field(default_factory=KeysConfig)
    outbox: OutboxSection = field(default_factory=OutboxSection)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    locale: LocaleConfig = field(default_factory=LocaleConfig)
    clock: ClockConfig = field(default_factory=ClockConfig)
    # Where the configuration was read from; relative paths in it are resolved against its folder.
    path: Path | None = None

    @property
    def token_file(self) -> Path:
        return self.api.token_file or self.state_dir / "api-token"

    @property
    def kit_key_file(self) -> Path:
        return self.keys.key_file or self.state_dir / "keys" / "kit-key.pem"

    @property
    def published_keys_file(self) -> Path:
        return self.keys.published_keys or self.state_dir / "kit-keys.json"

    @property
    def delivery_key_file(self) -> Path:
        return self.keys.delivery_key_file or self.state_dir / "keys" / "kit-delivery-key.pem"

    @property
    def delivery_public_key_file(self) -> Path:
        return self.state_dir / "kit-delivery-key.pub.pem"

    @property
    def outbox_config(self) -> OutboxConfig:
        """The outbox's own configuration: its folder under the state directory and the [outbox] table."""
        section = self.outbox
        return OutboxConfig(
            state_dir=self.state_dir / "outbox",
            receiver_url=section.receiver_url,
            client_cert=section.client_cert,
            client_key=section.client_key,
            ca_cert=section.ca_cert,
            retention_days=section.retention_days,
            min_free_bytes=section.min_free_mb * 1024 * 1024,
            backoff_initial_s=section.backoff_initial_s,
            backoff_max_s=section.backoff_max_s,
        )


def load_config(path: Path) -> Config:
    """Reads and checks the configuration file; any problem is a ConfigError naming the file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from None
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    config = parse_config(table, base_dir=path.resolve().parent, origin=str(path))
    return dataclasses.replace(config, path=path)


def parse_config(table: dict[str, Any], *, base_dir: Path, origin: str = "config") -> Config:
    """Builds and checks a configuration from its TOML table; paths resolve in `base_dir`."""
    try:
        config = build(Config, table, base_dir=base_dir, skip=frozenset({"path"}))
    except SchemaError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    _validate(config, origin)
    return config


def _validate(config: Config, origin: str) -> None:
    # One check per section, in the file's order, so the first problem named is the first one there.
    for check in _SECTION_CHECKS:
        check(config, origin)


def _check_kit_id(config: Config, origin: str) -> None:
    if not config.kit_id.strip():
        raise ConfigError(f"{origin}: kit_id must not be empty")


def _check_devices(config: Config, origin: str) -> None:
    for name, device in config.devices.items():
        _check_device(name, device, origin)


def _check_device(name: str, device: DeviceConfig, origin: str) -> None:
    key = f"devices.{name}"
    if name not in DEVICE_KINDS:
        raise ConfigError(f"{origin}: unknown device {key!r} (known: {', '.join(DEVICE_KINDS)})")
    try:
        cls = driver_class(parse_source(device.source))
    except SourceError as exc:
        raise ConfigError(f"{origin}: {key}.source: {exc}") from None
    if cls.kind is not DEVICE_KINDS[name]:
        raise ConfigError(
            f"{origin}: {key}.source opens a {cls.kind.value}, but {name!r} must be a "
            f"{DEVICE_KINDS[name].value}"
        )
    try:
        resolve(device.source, name=name, kind=DEVICE_KINDS[name])  # what the daemon builds
    except SourceError as exc:
        raise ConfigError(f"{origin}: {key}.source: {exc}") from None
    if device.ping_interval <= 0:
        raise ConfigError(f"{origin}: {key}.ping_interval must be positive")


def _require_files(section: str, values: object, names: tuple[str, ...], origin: str) -> None:
    """Each of the section's file settings that is set names a file that exists."""
    for name in names:
        value = getattr(values, name)
        if value is not None and not value.is_file():
            raise ConfigError(f"{origin}: {section}.{name}: file {value} not found")


def _check_api(config: Config, origin: str) -> None:
    api = config.api
    tls = ("tls_cert", "tls_key", "tls_client_ca")
    if api.tcp:
        missing = [n for n in tls if getattr(api, n) is None]
        if missing:
            raise ConfigError(
                f"{origin}: api.tcp needs mutual TLS: set {', '.join('api.' + m for m in missing)}"
            )
        host, _, port = api.tcp.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"{origin}: api.tcp must be host:port, got {api.tcp!r}")
    _require_files("api", api, tls, origin)
    if api.workers < 4:
        raise ConfigError(f"{origin}: api.workers must be at least 4")
    if api.streams_per_method < 1 or api.streams_per_caller < 1:
        raise ConfigError(f"{origin}: api.streams_per_method and streams_per_caller must be >= 1")


def _check_keys(config: Config, origin: str) -> None:
    keys = config.keys
    if keys.backend not in ("file", "pkcs11"):
        raise ConfigError(f"{origin}: keys.backend must be 'file' or 'pkcs11'")
    if keys.backend == "pkcs11":
        missing = [n for n in ("module_path", "pin_file") if getattr(keys, n) is None]
        if not keys.token_label:
            missing.append("token_label")
        if missing:
            raise ConfigError(
                f"{origin}: keys.backend = 'pkcs11' needs {', '.join('keys.' + m for m in missing)}"
            )
    files = ("module_path", "pin_file", "recipient_public_key", "reference_signer_public_key")
    _require_files("keys", keys, files, origin)


def _check_outbox(config: Config, origin: str) -> None:
    outbox = config.outbox
    if outbox.receiver_url:
        _check_receiver(outbox, origin)
    if outbox.retention_days < 1:
        raise ConfigError(f"{origin}: outbox.retention_days must be at least 1")
    if outbox.min_free_mb < 0:
        raise ConfigError(f"{origin}: outbox.min_free_mb must not be negative")


def _check_receiver(outbox: OutboxSection, origin: str) -> None:
    if not outbox.receiver_url.startswith("https://"):
        raise ConfigError(f"{origin}: outbox.receiver_url must be an https:// URL")
    names = ("client_cert", "client_key", "ca_cert")
    unset = [name for name in names if getattr(outbox, name) is None]
    if unset:
        raise ConfigError(f"{origin}: outbox.receiver_url needs outbox.{unset[0]} (mutual TLS)")
    _require_files("outbox", outbox, names, origin)


def _check_policy(config: Config, origin: str) -> None:
    for directory in config.policy.dirs:
        if not directory.is_dir():
            raise ConfigError(f"{origin}: policy.dirs: folder {directory} not found")


def _check_locale(config: Config, origin: str) -> None:
    catalogs = Catalogs.builtin()
    chosen = catalogs.negotiate(config.locale.default, "")
    if not chosen.language or chosen.fallback:
        raise ConfigError(
            f"{origin}: locale.default: no catalog for {config.locale.default!r} "
            f"(the kit has {', '.join(catalogs.languages)})"
        )


def _check_logging(config: Config, origin: str) -> None:
    if config.logging.level.lower() not in {"debug", "info", "warning", "error"}:
        raise ConfigError(f"{origin}: logging.level must be debug, info, warning or error")


_SECTION_CHECKS: tuple[Callable[[Config, str], None], ...] = (
    _check_kit_id,
    _check_devices,
    _check_api,
    _check_keys,
    _check_outbox,
    _check_policy,
    _check_locale,
    _check_logging,
)

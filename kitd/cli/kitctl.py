"""`kitctl`: a terminal front end of the kit.v1 API, like any other app.

    kitctl [--config FILE | --socket PATH --token-file PATH] health
    kitctl ... devices [--json]
    kitctl ... watch [--json]

Exit codes: 0 ok, 1 the daemon answered with an error or is not serving, 2 cannot reach it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict
from rich.console import Console
from rich.table import Table

from kit.v1 import device_service_pb2 as dpb
from kit.v1 import types_pb2
from kitd.client import ClientSetupError, Endpoint, KitClient

EXIT_ERROR = 1
EXIT_UNREACHABLE = 2


def enum_name(enum: Any, value: int, prefix: str) -> str:
    return str(enum.Name(value)).removeprefix(prefix).lower()


def device_dict(device: types_pb2.Device) -> dict[str, Any]:
    return {
        "id": device.id,
        "kind": enum_name(types_pb2.DeviceKind, device.kind, "DEVICE_KIND_"),
        "state": enum_name(types_pb2.DeviceState, device.state, "DEVICE_STATE_"),
        "vendor": device.vendor,
        "model": device.model,
        "serial": device.serial,
        "firmware": device.firmware,
        "source": device.source,
        "detail": device.detail,
    }


def cmd_health(client: KitClient, args: argparse.Namespace, console: Console) -> int:
    serving = client.serving()
    print("SERVING" if serving else "NOT_SERVING")
    return 0 if serving else EXIT_ERROR


def cmd_devices(client: KitClient, args: argparse.Namespace, console: Console) -> int:
    devices = client.devices.ListDevices(
        dpb.ListDevicesRequest(), metadata=client.metadata, timeout=5
    ).devices
    rows = [device_dict(d) for d in devices]
    if args.json:
        print(json.dumps(rows))
        return 0
    table = Table(title="kit devices")
    for column in ("id", "kind", "state", "model", "serial", "firmware", "detail"):
        table.add_column(column)
    for row in rows:
        style = {"ready": "green", "busy": "yellow"}.get(row["state"], "red")
        table.add_row(
            row["id"],
            row["kind"],
            f"[{style}]{row['state']}[/{style}]",
            row["model"],
            row["serial"],
            row["firmware"],
            row["detail"],
        )
    console.print(table)
    return 0


def cmd_watch(client: KitClient, args: argparse.Namespace, console: Console) -> int:
    stream = client.devices.WatchDeviceEvents(
        dpb.WatchDeviceEventsRequest(include_current=True), metadata=client.metadata
    )
    try:
        for response in stream:
            event = response.event
            row = device_dict(event.device)
            if args.json:
                print(
                    json.dumps(
                        {
                            **row,
                            "sequence": event.sequence,
                            "time": MessageToDict(event)["time"],
                            "previous_state": enum_name(
                                types_pb2.DeviceState, event.previous_state, "DEVICE_STATE_"
                            ),
                            "reason": event.reason,
                        }
                    ),
                    flush=True,
                )
            else:
                console.print(
                    f"{event.time.ToDatetime():%H:%M:%S.%f}"[:-3]
                    + f"  {row['id']:14} {row['state']:7} {event.reason}"
                    + (f" ({row['detail']})" if row["detail"] else "")
                )
    except KeyboardInterrupt:
        stream.cancel()
    return 0


COMMANDS: dict[str, Callable[[KitClient, argparse.Namespace, Console], int]] = {
    "health": cmd_health,
    "devices": cmd_devices,
    "watch": cmd_watch,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kitctl", description="Talk to the kitd daemon")
    parser.add_argument("--config", type=Path, help="kitd configuration (socket and token)")
    parser.add_argument("--socket", type=Path, help="the daemon's Unix socket")
    parser.add_argument("--token-file", type=Path, help="the daemon's API token file")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("health", help="is the daemon serving?")
    devices = sub.add_parser("devices", help="list devices")
    devices.add_argument("--json", action="store_true")
    watch = sub.add_parser("watch", help="print device events as they happen")
    watch.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console()
    try:
        endpoint = Endpoint.discover(args.config, args.socket, args.token_file)
        client = KitClient(endpoint)
    except ClientSetupError as exc:
        print(f"kitctl: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    with client:
        try:
            return COMMANDS[args.command](client, args, console)
        except grpc.RpcError as exc:
            code = exc.code()
            print(f"kitctl: {code.name}: {exc.details()}", file=sys.stderr)
            return EXIT_UNREACHABLE if code is grpc.StatusCode.UNAVAILABLE else EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())

"""`kitctl`: a terminal front end of the kit.v1 API, like any other app.

    kitctl [--config FILE | --socket PATH --token-file PATH] health
    kitctl ... devices [--json]
    kitctl ... watch [--json]
    kitctl ... enroll --profile PROFILE --age N [--auto [--sim-dir DIR]] [--json]
    kitctl ... deliver --reference-file FILE --age N [--auto [--sim-dir DIR]] [--visual-check REASON]
                       [--json]
    kitctl ... outbox [list|status|flush] [--json]

Exit codes: 0 ok, 1 the daemon answered with an error or is not serving, 2 cannot reach it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.json_format import MessageToDict
from rich.console import Console
from rich.table import Table

from kit.v1 import device_service_pb2 as dpb
from kit.v1 import outbox_service_pb2 as opb
from kit.v1 import types_pb2
from kitd.client import ClientSetupError, Endpoint, KitClient
from kitd.delivery.errors import ReferenceTooLarge
from kitd.delivery.reference import MAX_REFERENCE_BYTES
from kitd.locale.catalogs import Catalogs
from kitd.policy.model import RequestFiler, VisitPlace

if TYPE_CHECKING:
    from kitd.cli.eligibility import EligibilityOptions
    from kitd.cli.enroll import VisitOptions

EXIT_ERROR = 1
EXIT_UNREACHABLE = 2


def enum_name(enum: Any, value: int, prefix: str) -> str:
    """An enum value's name without its prefix, in lower case (DEVICE_KIND_CAMERA -> camera)."""
    return str(enum.Name(value)).removeprefix(prefix).lower()


def device_dict(device: types_pb2.Device) -> dict[str, Any]:
    """A device as kitctl prints it, in JSON and in its table."""
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
    """`kitctl health`: prints whether the daemon is serving; exit code 0 only if it is."""
    serving = client.serving()
    print("SERVING" if serving else "NOT_SERVING")
    return 0 if serving else EXIT_ERROR


def cmd_devices(client: KitClient, args: argparse.Namespace, console: Console) -> int:
    """`kitctl devices`: the daemon's devices as a table, or as JSON."""
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
    """`kitctl watch`: prints each device event as it comes (the current state first)."""
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


def _visit_options(args: argparse.Namespace, console: Console) -> VisitOptions:
    """What `enroll` and `deliver` take alike from the command line."""
    from kitd.cli.enroll import VisitOptions

    auto_dir = None
    if args.auto:
        auto_dir = args.sim_dir or Path(os.environ.get("KITSIM_DIR", "kitsim"))
    return VisitOptions(
        age=args.age,
        operator_id=args.operator,
        reference=args.reference,
        display_name=args.name,
        auto_dir=auto_dir,
        recipient_key=str(args.recipient_key or os.environ.get("KITD_RECIPIENT_KEY", "")),
        as_json=args.json,
        console=Console(stderr=True) if args.json else console,
        language=args.lang,
        citizen_language=args.citizen_lang,
        visual_check=getattr(args, "visual_check", None),
        eligibility=_eligibility_options(args),
        summary_out=getattr(args, "summary", None),
    )


def _eligibility_options(args: argparse.Namespace) -> EligibilityOptions | None:
    from kitd.cli.eligibility import EligibilityOptions

    if not getattr(args, "filed_by", None):
        return None
    return EligibilityOptions(
        request_reference=args.request_ref,
        filed_by=args.filed_by,
        organisation=args.organisation,
        certificate_date=args.certificate_date,
        place=args.place,
        facility=args.facility,
        override_reason=args.eligibility_override,
    )


def cmd_summary(client: KitClient, args: argparse.Namespace, console: Console) -> int:
    """`kitctl summary`: writes a sealed visit's citizen summary; prints its path and language."""
    from kitd.cli.eligibility import write_summary

    language = write_summary(client, client.metadata, args.session_id, args.lang, args.out)
    print(f"{args.out} ({language})")
    return 0


def cmd_enroll(client: KitClient, args: argparse.Namespace, console: Console) -> int:
    """`kitctl enroll`: walks one enrolment visit, by hand or with --auto."""
    from kitd.cli.enroll import EnrollError, enroll

    try:
        return enroll(client, args.profile, _visit_options(args, console))
    except EnrollError as exc:
        print(f"kitctl: {exc}", file=sys.stderr)
        return EXIT_ERROR


def read_reference_file(path: Path) -> bytes:
    """A reference download, refused (ReferenceTooLarge) before it is read when it is larger than any
    the kit accepts; read bounded, so a file that grows meanwhile (or a pipe) is refused too.
    """
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_REFERENCE_BYTES:
            raise ReferenceTooLarge(size=str(size), limit=str(MAX_REFERENCE_BYTES))
        data = file.read(MAX_REFERENCE_BYTES + 1)
    if len(data) > MAX_REFERENCE_BYTES:
        raise ReferenceTooLarge(size=f">{MAX_REFERENCE_BYTES}", limit=str(MAX_REFERENCE_BYTES))
    return data


def cmd_deliver(client: KitClient, args: argparse.Namespace, console: Console) -> int:
    """`kitctl deliver`: walks one card delivery visit against a sealed reference download."""
    from kitd.cli.enroll import EnrollError, deliver

    try:
        sealed = read_reference_file(args.reference_file)
    except OSError as exc:
        print(f"kitctl: cannot read the reference download: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ReferenceTooLarge as exc:
        texts = Catalogs.builtin().texts(Catalogs.builtin().negotiate(args.lang, "en").language)
        assert exc.message is not None
        print(f"kitctl: {texts(exc.message)}", file=sys.stderr)
        return EXIT_ERROR
    try:
        return deliver(client, sealed, _visit_options(args, console))
    except EnrollError as exc:
        print(f"kitctl: {exc}", file=sys.stderr)
        return EXIT_ERROR


def cmd_outbox(client: KitClient, args: argparse.Namespace, console: Console) -> int:
    """`kitctl outbox`: lists the outbox, shows its status or flushes it."""
    md = client.metadata
    if args.action == "flush":
        flushed = client.outbox.FlushOutbox(opb.FlushOutboxRequest(), metadata=md, timeout=120)
        data: Any = {
            "uploaded": flushed.uploaded,
            "failed": flushed.failed,
            "already_running": flushed.already_running,
        }
    elif args.action == "status":
        data = MessageToDict(
            client.outbox.GetOutboxStatus(opb.GetOutboxStatusRequest(), metadata=md, timeout=10),
            always_print_fields_with_no_presence=True,
        )
    else:
        packages = client.outbox.ListPackages(opb.ListPackagesRequest(), metadata=md, timeout=10)
        data = [
            {
                "package_id": p.package_id,
                "state": str(opb.PackageState.Name(p.state)).removeprefix("PACKAGE_STATE_").lower(),
                "size_bytes": p.size_bytes,
                "sealed_at": p.sealed_at.ToDatetime().isoformat() + "Z",
                "upload_attempts": p.upload_attempts,
                "last_error": p.last_error,
                "held": p.held,
            }
            for p in packages.packages
        ]
    if args.json:
        print(json.dumps(data))
    elif isinstance(data, list):
        table = Table(title="outbox")
        for column in (
            "package_id",
            "state",
            "size_bytes",
            "sealed_at",
            "upload_attempts",
            "last_error",
            "held",
        ):
            table.add_column(column)
        for row in data:
            table.add_row(*(str(row[c]) for c in row))
        console.print(table)
    else:
        for key, value in data.items():
            console.print(f"{key:28} {value}")
    return 0


COMMANDS: dict[str, Callable[[KitClient, argparse.Namespace, Console], int]] = {
    "health": cmd_health,
    "devices": cmd_devices,
    "watch": cmd_watch,
    "enroll": cmd_enroll,
    "deliver": cmd_deliver,
    "outbox": cmd_outbox,
    "summary": cmd_summary,
}


def build_parser() -> argparse.ArgumentParser:
    """The arguments of kitctl: the connection options and one sub-command per action."""
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
    enroll = sub.add_parser("enroll", help="walk one visit with live guidance")
    enroll.add_argument("--profile", required=True, help="document profile, e.g. be-eid")
    enroll.add_argument("--age", type=int, required=True, help="the applicant's age")
    enroll.add_argument("--operator", default=os.environ.get("USER", "operator"))
    enroll.add_argument("--reference", default="", help="the municipality's application reference")
    enroll.add_argument("--name", default="", help="citizen's name shown on the signature pad")
    enroll.add_argument(
        "--auto", action="store_true", help="play the citizen through the simulators"
    )
    enroll.add_argument("--sim-dir", type=Path, help="kitsim directory (default $KITSIM_DIR)")
    enroll.add_argument(
        "--lang", default="", help="the operator's language (nl, fr, de, en; default: the kit's)"
    )
    enroll.add_argument(
        "--citizen-lang", default="", help="the citizen's language (the signature pad's prompt)"
    )
    enroll.add_argument("--recipient-key", type=Path, help="reported in the JSON summary")
    enroll.add_argument("--json", action="store_true", help="last line: a JSON summary")
    home = enroll.add_argument_group("home visit (a policy with [eligibility])")
    home.add_argument("--request-ref", default="", help="the online form's request reference")
    home.add_argument(
        "--filed-by", choices=[f.value for f in RequestFiler], help="who filed the request"
    )
    home.add_argument("--organisation", default="", help="the organisation that filed it")
    home.add_argument(
        "--certificate-date", default="", help="the doctor's certificate's date (omit: not shown)"
    )
    home.add_argument("--place", choices=[p.value for p in VisitPlace], default="home")
    home.add_argument("--facility", default="", help="the facility's name, outside the home")
    home.add_argument(
        "--eligibility-override", default="", help="finalize without missing evidence, reason"
    )
    enroll.add_argument(
        "--summary", type=Path, help="write the citizen's summary (HTML) here after sealing"
    )
    deliver = sub.add_parser(
        "deliver", help="walk a card delivery: fingerprint check, photo, receipt"
    )
    deliver.add_argument(
        "--reference-file", type=Path, required=True, help="the sealed reference download"
    )
    deliver.add_argument("--age", type=int, required=True, help="the card holder's age")
    deliver.add_argument("--operator", default=os.environ.get("USER", "operator"))
    deliver.add_argument("--reference", default="", help="the municipality's application reference")
    deliver.add_argument("--name", default="", help="citizen's name shown on the signature pad")
    deliver.add_argument(
        "--auto", action="store_true", help="play the citizen through the simulators"
    )
    deliver.add_argument("--sim-dir", type=Path, help="kitsim directory (default $KITSIM_DIR)")
    deliver.add_argument(
        "--lang", default="", help="the operator's language (nl, fr, de, en; default: the kit's)"
    )
    deliver.add_argument(
        "--citizen-lang", default="", help="the citizen's language (the signature pad's prompt)"
    )
    deliver.add_argument(
        "--visual-check",
        metavar="REASON",
        help="when no print matches and the policy allows it: the operator confirmed the citizen "
        "against the enrollment photo, for this reason (else asked; with --auto, not handed over)",
    )
    deliver.add_argument("--recipient-key", type=Path, help="reported in the JSON summary")
    deliver.add_argument("--json", action="store_true", help="last line: a JSON summary")
    summary = sub.add_parser("summary", help="the citizen's summary of a sealed visit (HTML)")
    summary.add_argument("session_id")
    summary.add_argument("--lang", default="", help="nl, fr, de or en (default: the visit's)")
    summary.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    outbox = sub.add_parser("outbox", help="sealed packages waiting for the back office")
    outbox.add_argument("action", choices=("list", "status", "flush"), nargs="?", default="list")
    outbox.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    """The `kitctl` command: runs one sub-command against the daemon; returns the exit code."""
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

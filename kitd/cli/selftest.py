"""`kit-selftest`: the technician's hardware self-test.

    kit-selftest [--config FILE] [--json] [--html REPORT] [--direct] [--sim | --sim-dir DIR] [--device ID]
    kit-selftest chart --out chart.png [--dpi 300]

Through the daemon's RunSelfTest when kitd answers on its socket (the daemon holds the devices);
directly on the HAL when it does not, or with `--direct` (a Kit is built from the configuration, its
devices bound, tested and released). `--sim` starts the simulators itself and plays the technician on
them; `--sim-dir DIR` plays the technician on simulators already running there (`kitsim up --dir DIR`).
Progress goes to stderr; `--json` prints the report document on stdout.

Exit codes: 0 all checks pass, 1 warnings only, 2 failures, 3 the self-test could not run.
This tool never changes the kit's state; only the `--sim` paths import the simulators.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import grpc
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from kit.v1 import device_service_pb2 as pb
from kitd.cli import simulators
from kitd.client import ClientSetupError, Endpoint, KitClient
from kitd.config import Config, ConfigError, DeviceConfig, load_config, parse_config
from kitd.selftest.context import DaemonState, SelfTestContext
from kitd.selftest.html_report import render_html
from kitd.selftest.json_report import report_json
from kitd.selftest.prompts import Prompt
from kitd.selftest.result import CheckResult, ExitCode, Mode, Report, Verdict
from kitd.selftest.result import Progress as SelfTestProgress
from kitd.selftest.runner import RunItem, SelfTest
from kitd.selftest.suite import standard_probes
from kitd.selftest.wire import (
    DEVICE_IDS,
    check_from_message,
    progress_from_message,
    report_from_message,
)

DEFAULT_CONFIG = Path("/etc/kitd/kitd.toml")
_KINDS = {device: kind for kind, device in DEVICE_IDS.items()}
_SYMBOLS = {
    Verdict.PASS: "[green]PASS[/green]",
    Verdict.WARN: "[yellow]WARN[/yellow]",
    Verdict.FAIL: "[red]FAIL[/red]",
    Verdict.SKIPPED: "[dim]SKIP[/dim]",
}

Technician = Callable[[Prompt], None]


class CannotRun(Exception):
    """The self-test cannot start (no configuration, the daemon's stream broke, a kit that will not
    build); the message says what to do.
    """


def build_parser() -> argparse.ArgumentParser:
    """The arguments of kit-selftest: run the checks (via the daemon or directly), or the chart."""
    parser = argparse.ArgumentParser(
        prog="kit-selftest",
        description="Check the kit's devices and state; every failure says what to do.",
        epilog="Exit codes: 0 all pass, 1 warnings only, 2 failures, 3 could not run.",
    )
    parser.add_argument("--config", type=Path, help="kitd configuration (default $KITD_CONFIG)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument("--html", type=Path, metavar="REPORT", help="write an HTML report here")
    parser.add_argument(
        "--direct", action="store_true", help="test the devices directly, not through kitd"
    )
    parser.add_argument(
        "--sim", action="store_true", help="start the simulators and test them (demonstration)"
    )
    parser.add_argument(
        "--sim-dir", type=Path, help="answer prompts on simulators running in DIR (kitsim up)"
    )
    parser.add_argument(
        "--device",
        action="append",
        choices=sorted(_KINDS),
        help="test only this device (repeatable); the kit checks are then left out",
    )
    sub = parser.add_subparsers(dest="command")
    chart = sub.add_parser("chart", help="write the printable self-test chart (PNG, A4)")
    chart.add_argument("--out", type=Path, required=True, help="PNG file to write")
    chart.add_argument("--dpi", type=float, default=300.0, help="print resolution (default 300)")
    return parser


# -- showing progress -------------------------------------------------------------------------------


class Display:
    """Progress bar, one line per finished check and the technician's prompts, all on stderr."""

    def __init__(self, console: Console, technician: Technician | None) -> None:
        self.console = console
        self.technician = technician
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> Display:
        self._bar.start()
        self._task = self._bar.add_task("starting", total=1.0)
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def progress(self, item: SelfTestProgress) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=item.fraction, description=item.title)
        if item.prompt:
            self.console.print(f"[bold cyan]>>> {escape(item.prompt)}[/bold cyan]")
            prompt = Prompt.from_text(item.prompt)
            if self.technician is not None and prompt is not None:
                self.technician(prompt)

    def check(self, item: CheckResult) -> None:
        figure = (
            f"{item.value:g} {item.unit}".strip() if item.verdict is not Verdict.SKIPPED else ""
        )
        limit = f" (limit {item.limit})" if item.limit and figure else ""
        self.console.print(f"{_SYMBOLS[item.verdict]} {item.id:32} {escape(figure + limit)}")
        if item.hint:
            self.console.print(f"       [dim]{escape(item.hint)}[/dim]")


def consume(items: Iterator[RunItem], display: Display) -> Report:
    """Shows each progress step and check as it comes and returns the report that ends the run."""
    report: Report | None = None
    with display:
        for item in items:
            if isinstance(item, SelfTestProgress):
                display.progress(item)
            elif isinstance(item, CheckResult):
                display.check(item)
            else:
                report = item
    if report is None:
        raise CannotRun("the self-test ended without a report")
    return report


# -- the two ways to run ---------------------------------------------------------------------------


def through_daemon(client: KitClient, devices: list[str]) -> Iterator[RunItem]:
    """The self-test as the daemon runs it over its API: progress, checks, then the report."""
    request = pb.RunSelfTestRequest(kinds=[_KINDS[d] for d in devices])
    stream = client.devices.RunSelfTest(request, metadata=client.metadata)
    try:
        for response in stream:
            which = response.WhichOneof("item")
            if which == "progress":
                yield progress_from_message(response.progress)
            elif which == "check":
                yield check_from_message(response.check)
            elif which == "report":
                yield report_from_message(response.report)
    except grpc.RpcError as exc:
        raise CannotRun(
            f"the daemon's self-test stopped: {exc.code().name}: {exc.details()}. "
            "Run `kit-selftest --direct` with kitd stopped, or send `journalctl -u kitd` to support."
        ) from None
    finally:
        stream.cancel()


def directly(config: Config, daemon: DaemonState, devices: list[str]) -> Iterator[RunItem]:
    """The self-test run here on a kit of its own, for when the daemon is stopped."""
    from kitd.kit import Kit
    from kitd.selftest.device_probe import DeviceProbe

    try:
        kit = Kit(config)
    except Exception as exc:  # noqa: BLE001 - any start failure is reported to the technician
        raise CannotRun(
            f"the kit cannot be set up from {config.path or 'its configuration'}: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    kit.start()
    try:
        context = SelfTestContext.for_kit(kit, Mode.DIRECT, daemon, devices=frozenset(devices))
        probes = standard_probes()
        if devices:
            probes = [p for p in probes if isinstance(p, DeviceProbe)]
        yield from SelfTest(context, probes).run()
    finally:
        kit.stop()


# -- simulators ------------------------------------------------------------------------------------


def start_simulators(stack: ExitStack, workdir: Path) -> tuple[dict[str, str], Technician]:
    """Starts simulators for a self-test without hardware: sources and a simulated technician."""
    from kitd.selftest.simulated_technician import SimulatedTechnician

    sources, control = simulators.start_simulators(stack, workdir)
    return sources, SimulatedTechnician(control, workdir)


def attach_simulators(workdir: Path) -> Technician:
    """A simulated technician for simulators already running in `workdir`."""
    from kitd.selftest.simulated_technician import SimulatedTechnician

    def control(device: str, command: str, **args: Any) -> Any:
        return simulators.control_call(workdir, device, command, **args)

    return SimulatedTechnician(control, workdir)


def simulator_config(base: Config | None, sources: dict[str, str], workdir: Path) -> Config:
    """The given configuration (or a fresh simulator kit in `workdir`) with the simulators' devices."""
    if base is None:
        table: dict[str, Any] = {"kit_id": "SIM-KIT", "state_dir": str(workdir / "state")}
        base = parse_config(table, base_dir=workdir, origin="simulator kit")
    devices = {
        name: DeviceConfig(source) for name, source in sources.items() if _has_driver(source)
    }
    return dataclasses.replace(base, devices=devices)


def _has_driver(source: str) -> bool:
    """Whether this installation has the driver for a source (a simulator may be newer than it)."""
    from hal.registry import DRIVERS
    from hal.source import parse_source

    entry = DRIVERS.get(parse_source(source).driver)
    return entry is not None and importlib.util.find_spec(entry[0]) is not None


# -- main ------------------------------------------------------------------------------------------


def _config_path(args: argparse.Namespace) -> Path | None:
    if args.config is not None:
        return Path(args.config)
    if "KITD_CONFIG" in os.environ:
        return Path(os.environ["KITD_CONFIG"])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def _load(path: Path | None) -> Config:
    if path is None:
        raise CannotRun(
            "no kitd configuration: pass --config FILE or set KITD_CONFIG "
            f"(the kit's own is {DEFAULT_CONFIG})"
        )
    try:
        return load_config(path)
    except ConfigError as exc:
        raise CannotRun(str(exc)) from None


def _daemon_client(path: Path) -> KitClient | None:
    """A client when the daemon answers health on its socket; None when it is not running."""
    try:
        client = KitClient(Endpoint.from_config(path))
    except ClientSetupError:
        return None
    if client.serving():
        return client
    client.close()
    return None


def run(args: argparse.Namespace, console: Console) -> tuple[Report, str]:
    """The report and the kit id it is about."""
    devices: list[str] = list(args.device or [])
    with ExitStack() as stack:
        if args.sim:
            workdir = args.sim_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
            path = _config_path(args)
            base = _load(path) if path is not None else None
            console.print(f"starting the simulators in {workdir} ...")
            sources, simulated = start_simulators(stack, Path(workdir))
            config = simulator_config(base, sources, Path(workdir))
            daemon = DaemonState(None, detail="Not checked: the simulators replace the kit here.")
            report = consume(directly(config, daemon, devices), Display(console, simulated))
            return report, config.kit_id
        technician = attach_simulators(args.sim_dir) if args.sim_dir else None
        path = _config_path(args)
        config = _load(path)
        assert path is not None
        client = None if args.direct else _daemon_client(path)
        if client is not None:
            stack.callback(client.close)
            console.print("kitd is running: the self-test runs in the daemon")
            report = consume(through_daemon(client, devices), Display(console, technician))
            return report, config.kit_id
        serving = _daemon_client(path) if args.direct else None
        if serving is not None:
            serving.close()
        daemon = DaemonState(
            serving is not None,
            detail="" if serving is not None else "it does not answer on its socket",
        )
        console.print("testing the devices directly (kitd is not used)")
        report = consume(directly(config, daemon, devices), Display(console, technician))
        return report, config.kit_id


def main(argv: list[str] | None = None) -> int:
    """The `kit-selftest` command; returns the exit code the report asks for."""
    args = build_parser().parse_args(argv)
    console = Console(stderr=True)
    if args.command == "chart":
        from kitd.selftest.chart import write_chart

        write_chart(args.out, dpi=args.dpi)
        console.print(f"chart written to {args.out}: print it on A4 at 100 % (no fitting)")
        return 0
    try:
        report, kit_id = run(args, console)
    except CannotRun as exc:
        print(f"kit-selftest: {exc}", file=sys.stderr)
        return int(ExitCode.COULD_NOT_RUN)
    except KeyboardInterrupt:
        print("kit-selftest: interrupted", file=sys.stderr)
        return int(ExitCode.COULD_NOT_RUN)
    if args.html is not None:
        args.html.write_text(render_html(report, kit_id=kit_id), encoding="utf-8")
        console.print(f"HTML report written to {args.html}")
    if args.json:
        print(report_json(report, kit_id=kit_id))
    colour = {"pass": "green", "warn": "yellow"}.get(report.overall.value, "red")
    console.print(
        f"[bold {colour}]overall: {report.overall.value}[/bold {colour}] "
        f"(exit code {int(report.exit_code)})"
    )
    return int(report.exit_code)


if __name__ == "__main__":
    sys.exit(main())

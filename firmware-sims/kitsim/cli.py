"""`kitsim`: the device simulators.

kitsim up --dir DIR [--only camera,fingerprint,signature_pad]
    Starts the simulators (one process each), prints the kitd configuration fragment with their
    sources (also written to DIR/kitsim.toml), serves the control API on DIR/control.sock, and runs
    until interrupted.
kitsim ctl [--dir DIR] DEVICE COMMAND [key=value ...]
    Sends one control command (values are read as JSON when they parse, else as strings), e.g.
    kitsim ctl fingerprint place quality=0.8 finger=2 ; kitsim ctl camera unplug
kitsim list [--dir DIR]
    Shows the running simulators and their sources.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from kitsim.catalogue import SIMULATORS
from kitsim.control import ControlError, call
from kitsim.harness import CONTROL_SOCKET, SimulatorError, SimulatorSet


def default_dir() -> Path:
    """Where the simulators keep their sockets: $KITSIM_DIR, else ./kitsim."""
    return Path(os.environ.get("KITSIM_DIR", Path.cwd() / "kitsim"))


def parse_value(text: str) -> Any:
    """A control argument's value: JSON when it parses, the text itself otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def cmd_up(args: argparse.Namespace) -> int:
    """`kitsim up`: runs the simulators until a signal; 1 when one fails to start or dies."""
    names = args.only.split(",") if args.only else list(SIMULATORS)
    options = json.loads(args.options) if args.options else {}
    sims = SimulatorSet(args.dir, names, options)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        sims.start()
    except SimulatorError as exc:
        print(f"kitsim: {exc}", file=sys.stderr)
        return 1
    control_path = sims.serve_control()
    print(sims.config_fragment(), end="", flush=True)
    print(f"# control API: {control_path}", flush=True)
    try:
        while not stop.wait(0.5):
            dead = sims.dead()
            if dead:
                print(f"kitsim: simulator(s) stopped unexpectedly: {dead}", file=sys.stderr)
                return 1
    finally:
        sims.stop()
        (args.dir / CONTROL_SOCKET).unlink(missing_ok=True)
    return 0


def cmd_ctl(args: argparse.Namespace) -> int:
    """`kitsim ctl`: sends one control command and prints its answer as JSON."""
    values: dict[str, Any] = {}
    for item in args.args:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"kitsim: argument {item!r} is not key=value", file=sys.stderr)
            return 2
        values[key] = parse_value(value)
    try:
        result = call(args.dir / CONTROL_SOCKET, f"{args.device}/{args.command}", values)
    except ControlError as exc:
        print(f"kitsim: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """`kitsim list`: the running simulators and their sources, one a line."""
    try:
        result = call(args.dir / CONTROL_SOCKET, "devices", {})
    except ControlError as exc:
        print(f"kitsim: {exc}", file=sys.stderr)
        return 1
    for name, record in result.items():
        print(f"{name:15} {record['source']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The kitsim command: runs one subcommand and returns its exit status."""
    parser = argparse.ArgumentParser(prog="kitsim", description="kitd's device simulators")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the simulators")
    up.add_argument("--dir", type=Path, default=default_dir())
    up.add_argument("--only", default="", help="comma-separated: " + ",".join(SIMULATORS))
    up.add_argument("--options", default="", help="JSON object: device -> options")
    up.set_defaults(run=cmd_up)
    ctl = sub.add_parser("ctl", help="send a control command")
    ctl.add_argument("--dir", type=Path, default=default_dir())
    ctl.add_argument("device")
    ctl.add_argument("command")
    ctl.add_argument("args", nargs="*")
    ctl.set_defaults(run=cmd_ctl)
    lst = sub.add_parser("list", help="list running simulators")
    lst.add_argument("--dir", type=Path, default=default_dir())
    lst.set_defaults(run=cmd_list)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())

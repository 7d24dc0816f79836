"""Runs one simulated device in its own process.

    python -m kitsim.process NAME --dir DIR [--options JSON]

Starts the device, serves its control channel on DIR/NAME.ctl, then announces itself by writing
DIR/NAME.json ({"name", "source", "control", "pid", "identity"}) atomically, and runs until SIGTERM/SIGINT.
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

from kitsim.catalogue import create
from kitsim.control import ControlServer


def announce(path: Path, record: dict[str, Any]) -> None:
    """Writes the announcement atomically: the harness polling for it never reads half of one."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    """Runs the named simulator until SIGTERM or SIGINT, announced once its control socket is up."""
    parser = argparse.ArgumentParser(prog="kitsim.process")
    parser.add_argument("name")
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--options", default="{}")
    args = parser.parse_args(argv)

    workdir: Path = args.dir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    device = create(args.name, workdir, json.loads(args.options))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    source = device.start()
    control_path = workdir / f"{args.name}.ctl"
    server = ControlServer(control_path, device.control)
    announce(
        workdir / f"{args.name}.json",
        {
            "name": args.name,
            "source": source,
            "control": str(control_path),
            "pid": os.getpid(),
            "identity": device.identity(),
        },
    )
    try:
        stop.wait()
    finally:
        server.close()
        device.stop()
        (workdir / f"{args.name}.json").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

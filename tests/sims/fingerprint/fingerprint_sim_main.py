"""Runs the simulated fingerprint reader in its own process for the tests.

    python fingerprint_sim_main.py WORKDIR OPTIONS_JSON

Prints {"source": ...} on one line, then answers control commands given as JSON lines on stdin
({"command": ..., "args": {...}}) with one JSON line each; stops when stdin closes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kitsim.fingerprint.simulator import FingerprintSimulator


def main() -> None:
    simulator = FingerprintSimulator(Path(sys.argv[1]), json.loads(sys.argv[2]))
    print(json.dumps({"source": simulator.start()}), flush=True)
    try:
        for line in sys.stdin:
            request = json.loads(line)
            try:
                answer = {
                    "ok": True,
                    "result": simulator.control(request["command"], request["args"]),
                }
            except Exception as exc:  # noqa: BLE001 - every failure goes back to the test
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(answer), flush=True)
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()

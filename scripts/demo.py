"""The scripted demo behind ./scripts/demo: every part runs as its own process, as on a kit.

1. `kitsim up`: the three device simulators, with the kit's device sources.
2. A SoftHSM2 token stands in for the board's TPM; `kitd keygen` creates the kit key on it.
3. `kitpkg keygen` and `kitpkg receiver`: the back office's key pair and its mutual-TLS receiver.
4. `kitd serve`: the daemon, waited for through its sd_notify READY.
5. `kitctl devices`, then `kitctl enroll --auto`: the visit, the citizen played through the simulators.
6. `kitpkg open` and `kitpkg report`: the package as the back office sees it, and the HTML report.

With `--visit delivery` the card is then handed over: the back office makes the sealed reference
download from the enrolled prints, one per hand, and the enrollment photo (`kitpkg reference`, signed
with its reference key, sealed to the kit's delivery key), and `kitctl deliver --auto` verifies the
citizen's fingers against it, takes the delivery photo and the signature of receipt; that package is
uploaded and opened too.

With `--console` there is no scripted visit: after step 4 it starts kit-console (the operator's page on
loopback), prints its login address (which carries the launch secret and logs the browser in) and runs
until Ctrl-C, while an auto-citizen plays the person in front of the kit through the simulators
whenever the daemon asks (the face is always in front of the camera; a finger goes on the glass while a
capture holds the reader and is lifted after; the citizen signs once a signature capture holds the
pad). It follows WatchDeviceEvents, so it reacts to any client's visit.

The simulators, the token, the receiver and the daemon start and stop through the harness
(kitharness), as in the tests; the citizen is kitctl's own (kitd.cli.citizen).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from kitd.cli.citizen import SimulatedCitizen
from kitd.cli.simulators import installed_simulators
from kitd.client import Endpoint, KitClient
from kitharness.citizen import FollowingCitizen
from kitharness.daemon import RunningDaemon
from kitharness.receiver import ReceiverProcess
from kitharness.softhsm import find_softhsm_module, init_token
from kitsim.harness import SimulatorSet

BIN = Path(sys.executable).parent


def say(text: str) -> None:
    print(f"\033[1m==> {text}\033[0m", file=sys.stderr, flush=True)


class Processes:
    """The command-line programs the demo starts itself (kit-console), stopped in reverse order."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, argv: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log: IO[bytes] = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - the child owns it
        process = subprocess.Popen(argv, stdout=log, stderr=log, env={**os.environ, **(env or {})})
        log.close()
        self.running.append((name, process))
        return process

    def stop(self) -> None:
        for _, process in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in reversed(self.running):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(
    condition: Callable[[], bool], what: str, timeout: float, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise SystemExit(f"demo: {what} did not happen within {timeout:.0f} s\n{tail}")
        time.sleep(0.05)  # waiting on other processes' files


def run(argv: list[str], env: dict[str, str] | None = None, *, capture: bool = True) -> str:
    result = subprocess.run(
        argv, env={**os.environ, **(env or {})}, capture_output=capture, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"demo: {' '.join(argv[:3])} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout if capture else ""


def citizen_args(sims: Path) -> list[str]:
    """kitctl's arguments for the demo's citizen, played through the simulators in `sims`."""
    return [
        "--auto",
        "--sim-dir",
        str(sims),
        "--operator",
        "demo-operator",
        "--reference",
        "APP-DEMO-0001",
        "--name",
        "Jan Peeters",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="./scripts/demo", description="kitd demo: one scripted visit on simulators"
    )
    parser.add_argument("--json", action="store_true", help="last line: the enroll summary JSON")
    parser.add_argument(
        "--visit",
        choices=("enrollment", "delivery"),
        default="enrollment",
        help="delivery: enrollment, then the card handed over with a 1:1 fingerprint check",
    )
    parser.add_argument("--profile", default="be-eid")
    parser.add_argument("--age", type=int, default=42)
    parser.add_argument("--dir", type=Path, help="work folder (default: a new temporary one)")
    parser.add_argument(
        "--console",
        action="store_true",
        help="serve the operator's console on loopback with an auto-citizen, until Ctrl-C",
    )
    parser.add_argument(
        "--port", type=int, default=8470, help="the console's port (0 = a free one)"
    )
    args = parser.parse_args()

    work = (args.dir or Path(tempfile.mkdtemp(prefix="kitd-demo-"))).resolve()
    logs = work / "logs"
    for folder in (work, logs):
        folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as parts:
        processes = Processes(logs)
        parts.callback(processes.stop)
        return demo(args, work, processes, parts)


@dataclass(frozen=True)
class BackOffice:
    """The back office's keys and the folder its receiver stores packages in."""

    folder: Path
    recipient_private: Path
    recipient_public: Path
    signer_private: Path
    signer_public: Path

    @property
    def pki(self) -> Path:
        return self.folder / "pki"


def demo(args: argparse.Namespace, work: Path, processes: Processes, parts: ExitStack) -> int:
    """The steps of the module docstring, in order; `parts` stops what they started."""
    sims, kitd_dir = work / "sims", work / "kitd"
    say(f"work folder {work}")
    start_simulators(sims, parts)
    hsm_env, pin_file = kit_key_token(kitd_dir)
    office = back_office_keys(work)
    config = kitd_dir / "kitd.toml"
    base_config = kit_config(kitd_dir, sims, pin_file, office)
    config.write_text(base_config)
    keygen = json.loads(run([str(BIN / "kitd"), "keygen", "--config", str(config)], env=hsm_env))
    say(
        f"kit key {keygen['kit_key_id']} created on the token, published in {keygen['published_keys']}"
    )
    receiver = start_receiver(office, Path(keygen["published_keys"]), parts)
    config.write_text(
        base_config
        + "\n[outbox]\n"
        + f'receiver_url = "{receiver.url}"\n'
        + f'client_cert = "{office.pki / "client.pem"}"\nclient_key = "{office.pki / "client.key"}"\n'
        + f'ca_cert = "{office.pki / "ca.pem"}"\nbackoff_initial_s = 1\n'
    )
    daemon = start_kitd(config, hsm_env, parts)

    kitctl = [str(BIN / "kitctl"), "--config", str(config)]
    wait_for(
        lambda: all(d["state"] == "ready" for d in json.loads(run([*kitctl, "devices", "--json"]))),
        "all devices ready",
        30,
        daemon.log_path,
    )
    if not args.json:
        run([*kitctl, "devices"], capture=False)
    if args.console:
        return serve_console(args, work, config, sims, processes)

    started = time.perf_counter()
    summary = enroll(args, work, kitctl, sims, office, daemon)
    visit_seconds = time.perf_counter() - started
    keys = ["--key", str(office.recipient_private), "--kit-keys", keygen["published_keys"]]
    opened, opened_report, report = receive(work, receiver, daemon, summary, keys, "opened")
    print_summary(summary, opened_report, visit_seconds, opened, report)
    if args.visit == "delivery":
        summary = delivery(
            work,
            kitctl,
            sims,
            opened,
            office.signer_private,
            kitd_dir,
            receiver,
            daemon,
            keys,
            args.age,
        )
    if args.json:
        print(json.dumps(summary), flush=True)
    return 0


def start_simulators(sims: Path, parts: ExitStack) -> None:
    """Every installed simulator in its own process, and their control socket (sims/control.sock,
    what kitctl's --auto citizen plays through)."""
    say("starting the device simulators (kitsim), each its own process")
    simulators = SimulatorSet(sims, installed_simulators())
    parts.callback(simulators.stop)
    simulators.start()
    simulators.serve_control()


def kit_key_token(kitd_dir: Path) -> tuple[dict[str, str], Path]:
    """A fresh SoftHSM2 token for the kit key; returns its environment and the PIN file."""
    say("kit key: a SoftHSM2 token stands in for the board's TPM (PKCS#11)")
    kitd_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(kitd_dir, 0o700)
    pin = secrets.token_hex(8)
    conf = init_token(kitd_dir / "softhsm", "kitd", pin, secrets.token_hex(8))
    pin_file = kitd_dir / "token.pin"
    pin_file.write_text(pin + "\n")
    os.chmod(pin_file, 0o600)
    return {"SOFTHSM2_CONF": str(conf)}, pin_file


def back_office_keys(work: Path) -> BackOffice:
    say("back office: recipient key pair and the reference receiver (mutual TLS)")
    folder = work / "backoffice"
    run([str(BIN / "kitpkg"), "keygen", "--out", str(folder)])
    recipient_private = next(folder.glob("*private*.pem"), None) or next(folder.glob("*.key*"))
    recipient_public = next(p for p in folder.iterdir() if p != recipient_private)
    signer_dir = work / "backoffice-reference-signer"
    run([str(BIN / "kitpkg"), "reference-keygen", "--out", str(signer_dir)])
    return BackOffice(
        folder,
        recipient_private,
        recipient_public,
        signer_dir / "reference-signer.key.pem",
        signer_dir / "reference-signer.pub.pem",
    )


def kit_config(kitd_dir: Path, sims: Path, pin_file: Path, office: BackOffice) -> str:
    """kitd.toml on the embedded defaults, with the simulators' device sources."""
    return "\n".join(
        [
            'kit_id = "BE-KIT-DEMO"',
            f'state_dir = "{kitd_dir / "state"}"',
            "",
            "[api]",
            f'socket = "{kitd_dir / "run" / "kitd.sock"}"',
            "",
            "[keys]",
            'backend = "pkcs11"',
            f'module_path = "{softhsm_module()}"',
            'token_label = "kitd"',
            f'pin_file = "{pin_file}"',
            f'recipient_public_key = "{office.recipient_public}"',
            f'reference_signer_public_key = "{office.signer_public}"',
            "",
            (sims / "kitsim.toml").read_text(),
        ]
    )


def softhsm_module() -> Path:
    module = find_softhsm_module()
    if module is None:
        raise SystemExit(
            "demo: the SoftHSM2 PKCS#11 module was not found (scripts/setup installs it)"
        )
    return module


def start_receiver(office: BackOffice, kit_keys: Path, parts: ExitStack) -> ReceiverProcess:
    """The reference receiver (`kitpkg receiver`, its demo PKI made first) on a free loopback
    port, storing in the back office's folder."""
    receiver = ReceiverProcess(office.folder, office.recipient_private, kit_keys, generate_pki=True)
    parts.callback(receiver.stop)
    receiver.start()
    return receiver


def start_kitd(config: Path, hsm_env: dict[str, str], parts: ExitStack) -> RunningDaemon:
    """`kitd serve`, waited for through its sd_notify READY (the harness's notify socket stays open
    for the daemon's watchdog pings while the demo runs)."""
    say("starting kitd (kitd serve), waiting for READY")
    started = time.perf_counter()
    daemon = RunningDaemon(config, env=hsm_env)
    parts.callback(daemon.stop)
    try:
        daemon.start()
    except RuntimeError as refused:
        raise SystemExit(f"demo: {str(refused)[-3000:]}") from None
    say(f"kitd ready in {(time.perf_counter() - started) * 1000:.0f} ms")
    return daemon


def enroll(
    args: argparse.Namespace,
    work: Path,
    kitctl: list[str],
    sims: Path,
    office: BackOffice,
    daemon: RunningDaemon,
) -> dict[str, Any]:
    """The scripted visit (`kitctl enroll --auto`); returns its summary."""
    say(f"the visit: kitctl enroll --profile {args.profile} --age {args.age} --auto")
    completed = subprocess.run(
        [
            *kitctl,
            "enroll",
            "--profile",
            args.profile,
            "--age",
            str(args.age),
            *citizen_args(sims),
            *home_visit_args(args.profile),
            "--summary",
            str(work / "citizen-summary.html"),
            "--recipient-key",
            str(office.recipient_private),
            "--json",
        ],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit("demo: the visit failed:\n" + daemon.log()[-3000:])
    summary: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return summary


def home_visit_args(profile: str) -> list[str]:
    """A home visit's eligibility for a policy that asks for it: a social worker's request, a
    certificate shown ten days ago, a visit in a care home (all made up for the demo)."""
    from kitd.policy import load_policies  # the checkout's own package, as kitctl's

    policy = load_policies().by_id.get(profile)
    if policy is None or not policy.eligibility.required:
        return []
    shown = time.strftime("%Y-%m-%d", time.localtime(time.time() - 10 * 86400))
    say("a home visit: its eligibility goes on record (kitctl enroll --filed-by ... --place ...)")
    return [
        "--request-ref",
        "DEMO-FORM-0001",
        "--filed-by",
        "social_worker",
        "--organisation",
        "Social service (demo)",
        "--certificate-date",
        shown,
        "--place",
        "care_home",
        "--facility",
        "Care home (demo)",
    ]


def serve_console(
    args: argparse.Namespace, work: Path, config: Path, sims: Path, processes: Processes
) -> int:
    """kit-console in front of the daemon and an auto-citizen behind the simulators, until Ctrl-C."""
    say("starting kit-console (the operator's page, loopback only)")
    # `python -m`: the console is part of this checkout whether or not the venv's scripts know it.
    console = processes.start(
        "console",
        [sys.executable, "-m", "console.cli", "--config", str(config), "--port", str(args.port)],
    )
    log = logs(work, "console")
    wait_for(
        lambda: "log in at" in log.read_text() or console.poll() is not None,
        "kit-console start",
        30,
        log,
    )
    if console.poll() is not None:
        raise SystemExit("demo: kit-console did not start:\n" + log.read_text()[-2000:])
    # The login address carries this launch's secret: opening it logs the browser in.
    url = log.read_text().split("log in at ", 1)[1].split()[0]
    client = KitClient(Endpoint.from_config(config))
    citizen = FollowingCitizen(
        client, SimulatedCitizen.of_simulators(sims), "Jan Peeters", citizen_slipped
    )
    citizen.start()
    say(f"the console: {url}  (a simulated citizen answers the kit; Ctrl-C stops everything)")
    print(url, flush=True)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        while console.poll() is None:
            signal.pause()
    except KeyboardInterrupt:
        say("stopping")
    finally:
        citizen.stop()
        client.close()
    return 0


def citizen_slipped(device: str, error: Exception) -> None:
    say(f"auto-citizen: {device}: {error}")


def interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the console demo as Ctrl-C does, cleaning up


def receive(
    work: Path,
    receiver: ReceiverProcess,
    daemon: RunningDaemon,
    summary: dict[str, Any],
    keys: list[str],
    name: str,
) -> tuple[Path, dict[str, Any], Path]:
    """Waits for the outbox to upload the visit's package, then opens it as the back office."""
    say("the outbox uploads the sealed package to the back office's receiver")
    wait_for(
        lambda: receiver.stored_package(summary["package_id"]) is not None,
        "upload",
        60,
        daemon.log_path,
    )
    delivered = receiver.stored_package(summary["package_id"])
    assert delivered is not None
    say("the back office opens the package (kitpkg open, kitpkg report)")
    opened = work / name
    opened_report = json.loads(
        run([str(BIN / "kitpkg"), "open", str(delivered), *keys, "--out", str(opened), "--json"])
    )
    report = work / f"{name}-report.html"
    run([str(BIN / "kitpkg"), "report", str(delivered), *keys, "--out", str(report)])
    return opened, opened_report, report


def delivery(
    work: Path,
    kitctl: list[str],
    sims: Path,
    enrolled: Path,
    signer_private: Path,
    kitd_dir: Path,
    receiver: ReceiverProcess,
    daemon: RunningDaemon,
    keys: list[str],
    age: int,
) -> dict[str, Any]:
    """The card delivery: the reference download from the enrolled prints (one per hand) and photo,
    then the visit."""
    say(
        "back office: the sealed reference download from the enrolled prints and the enrollment "
        "photo (kitpkg reference)"
    )
    reference = work / "reference.kitref"
    prints = sorted(enrolled.glob("finger-*.wsq"))
    fingers = [str(int(path.stem.removeprefix("finger-"))) for path in prints]
    made = json.loads(
        run(
            [
                str(BIN / "kitpkg"),
                "reference",
                *[str(path) for path in prints],
                *[arg for finger in fingers for arg in ("--finger", finger)],
                "--photo",
                str(enrolled / "face.jpg"),
                "--kit-id",
                "BE-KIT-DEMO",
                "--kit-key",
                str(kitd_dir / "state" / "kit-delivery-key.pub.pem"),
                "--signer",
                str(signer_private),
                "--application-reference",
                "APP-DEMO-0001",
                "--out",
                str(reference),
                "--json",
            ]
        )
    )
    say(
        f"reference {made['reference_id']}: fingers {made['fingers']} with {made['minutiae']} "
        f"minutiae, a photo of {made['photo_bytes']} bytes, until {made['expires_at']}"
    )
    say("the delivery: kitctl deliver --auto (fingerprint check, photo, signature of receipt)")
    started = time.perf_counter()
    result = subprocess.run(
        [
            *kitctl,
            "deliver",
            "--reference-file",
            str(reference),
            "--age",
            str(age),
            *citizen_args(sims),
            "--json",
        ],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(
            "demo: the delivery failed:\n" + result.stdout[-2000:] + daemon.log()[-3000:]
        )
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    seconds = time.perf_counter() - started
    opened, opened_report, report = receive(
        work, receiver, daemon, summary, keys, "opened-delivery"
    )
    print_summary(summary, opened_report, seconds, opened, report)
    verification = summary["verification"]
    say(
        f"fingerprint verified on finger {verification['matched_finger']}: score "
        f"{verification['score']} (threshold {verification['threshold']}, attempts "
        f"{verification['attempts']}); the card may be handed over"
    )
    return summary


def logs(work: Path, name: str) -> Path:
    return work / "logs" / f"{name}.log"


def print_summary(
    summary: dict[str, Any], opened: dict[str, Any], seconds: float, folder: Path, report: Path
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    table = Table(
        title=f"visit {summary['session_id']} ({summary['policy_id']} {summary['policy_version']})"
    )
    for column in ("capture", "state", "attempts", "quality", "checks passed"):
        table.add_column(column)
    for capture in summary["captures"]:
        name = capture["kind"] + (f" ({capture['finger']})" if capture["finger"] else "")
        table.add_row(
            name,
            capture["state"],
            str(capture["attempts"]),
            "" if capture["quality"] is None else str(capture["quality"]),
            f"{capture['checks_passed']}/{capture['checks_total']}",
        )
    console.print(table)
    console.print(
        f"visit wall time {seconds:.1f} s; package {summary['package_id']} "
        f"({summary['package_bytes']} bytes, sha256 {summary['package_sha256'][:16]}…)"
    )
    console.print(
        f"opened and verified by the back office: {len(opened['written'])} files in {folder}"
    )
    console.print(f"visit report: {report}")
    citizen = summary.get("citizen_summary")
    if citizen:
        console.print(f"the citizen's summary ({citizen['language']}): {citizen['path']}")


if __name__ == "__main__":
    sys.exit(main())

"""The scripted demo behind ./scripts/demo: every part runs as its own process, as on a kit.

1. `kitsim up`: the three device simulators, with the kit's device sources.
2. A SoftHSM2 token stands in for the board's TPM; `kitd keygen` creates the kit key on it.
3. `kitpkg keygen` and `kitpkg receiver`: the back office's key pair and its mutual-TLS receiver.
4. `kitd serve`: the daemon, waited for through its sd_notify READY.
5. `kitctl devices`, then `kitctl enroll --auto`: the visit, the citizen played through the simulators.
6. `kitpkg open` and `kitpkg report`: the package as the back office sees it, and the HTML report.

With `--visit delivery` the card is then handed over: the back office makes the sealed reference
download from the enrolled print (`kitpkg reference`, signed with its reference key, sealed to the kit's
delivery key), and `kitctl deliver --auto` verifies the citizen's finger against it, takes the delivery
photo and the signature of receipt; that package is uploaded and opened too.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def say(text: str) -> None:
    print(f"\033[1m==> {text}\033[0m", file=sys.stderr, flush=True)


class Processes:
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


def wait_for(condition: Any, what: str, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise SystemExit(f"demo: {what} did not happen within {timeout:.0f} s\n{tail}")
        time.sleep(0.05)  # waiting on other processes' files


def run(argv: list[str], env: dict[str, str] | None = None, capture: bool = True) -> str:
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


def softhsm_module() -> Path:
    util = shutil.which("softhsm2-util")
    if util is None:
        raise SystemExit("demo: softhsm2-util not found (scripts/setup installs softhsm2)")
    prefix = Path(util).resolve().parent.parent
    for candidate in [
        prefix / "lib/softhsm/libsofthsm2.so",
        *prefix.glob("lib/*/softhsm/libsofthsm2.so"),
    ]:
        if candidate.exists():
            return candidate
    raise SystemExit("demo: the SoftHSM2 PKCS#11 module was not found")


def main() -> int:
    parser = argparse.ArgumentParser(description="kitd demo: one scripted visit on simulators")
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
    args = parser.parse_args()

    work = (args.dir or Path(tempfile.mkdtemp(prefix="kitd-demo-"))).resolve()
    logs = work / "logs"
    for folder in (work, logs):
        folder.mkdir(parents=True, exist_ok=True)
    processes = Processes(logs)
    try:
        return demo(args, work, processes)
    finally:
        processes.stop()


def demo(args: argparse.Namespace, work: Path, processes: Processes) -> int:
    sims, kitd_dir, backoffice = work / "sims", work / "kitd", work / "backoffice"
    say(f"work folder {work}")

    say("starting the device simulators (kitsim up)")
    processes.start("kitsim", [str(BIN / "kitsim"), "up", "--dir", str(sims)])
    wait_for((sims / "control.sock").exists, "kitsim start", 60, logs(work, "kitsim"))

    say("kit key: a SoftHSM2 token stands in for the board's TPM (PKCS#11)")
    hsm = kitd_dir / "softhsm"
    (hsm / "tokens").mkdir(parents=True, exist_ok=True)
    os.chmod(kitd_dir, 0o700)
    (hsm / "softhsm2.conf").write_text(f"directories.tokendir = {hsm / 'tokens'}\n")
    hsm_env = {"SOFTHSM2_CONF": str(hsm / "softhsm2.conf")}
    pin = secrets.token_hex(8)
    pin_file = kitd_dir / "token.pin"
    pin_file.write_text(pin + "\n")
    os.chmod(pin_file, 0o600)
    run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            "kitd",
            "--so-pin",
            secrets.token_hex(8),
            "--pin",
            pin,
        ],
        env=hsm_env,
    )

    say("back office: recipient key pair and the reference receiver (mutual TLS)")
    run([str(BIN / "kitpkg"), "keygen", "--out", str(backoffice)])
    recipient_private = next(backoffice.glob("*private*.pem"), None) or next(
        backoffice.glob("*.key*")
    )
    recipient_public = next(p for p in backoffice.iterdir() if p != recipient_private)
    signer_dir = work / "backoffice-reference-signer"
    run([str(BIN / "kitpkg"), "reference-keygen", "--out", str(signer_dir)])
    signer_private = signer_dir / "reference-signer.key.pem"
    signer_public = signer_dir / "reference-signer.pub.pem"

    config = kitd_dir / "kitd.toml"
    base_config = "\n".join(
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
            f'recipient_public_key = "{recipient_public}"',
            f'reference_signer_public_key = "{signer_public}"',
            "",
            (sims / "kitsim.toml").read_text(),
        ]
    )
    config.write_text(base_config)
    keygen = json.loads(run([str(BIN / "kitd"), "keygen", "--config", str(config)], env=hsm_env))
    say(
        f"kit key {keygen['kit_key_id']} created on the token, published in {keygen['published_keys']}"
    )

    pki, received = backoffice / "pki", backoffice / "received"
    receiver = processes.start(
        "receiver",
        [
            str(BIN / "kitpkg"),
            "receiver",
            "--key",
            str(recipient_private),
            "--kit-keys",
            keygen["published_keys"],
            "--out",
            str(received),
            "--pki",
            str(pki),
            "--generate-pki",
            "--port",
            str(free_port()),
        ],
    )
    wait_for(
        lambda: "receiving on" in logs(work, "receiver").read_text(),
        "receiver start",
        30,
        logs(work, "receiver"),
    )
    url = logs(work, "receiver").read_text().split("receiving on ", 1)[1].split("/packages", 1)[0]
    config.write_text(
        base_config
        + "\n[outbox]\n"
        + f'receiver_url = "{url}"\n'
        + f'client_cert = "{pki / "client.pem"}"\nclient_key = "{pki / "client.key"}"\n'
        + f'ca_cert = "{pki / "ca.pem"}"\nbackoff_initial_s = 1\n'
    )
    del receiver

    say("starting kitd (kitd serve), waiting for READY")
    notify_path = work / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(30)
    started = time.perf_counter()
    processes.start(
        "kitd",
        [str(BIN / "kitd"), "serve", "--config", str(config)],
        env={**hsm_env, "NOTIFY_SOCKET": str(notify_path)},
    )
    try:
        while b"READY=1" not in notify.recv(4096):
            pass
    except TimeoutError:
        raise SystemExit(
            "demo: kitd did not become ready:\n" + logs(work, "kitd").read_text()[-3000:]
        ) from None
    say(f"kitd ready in {(time.perf_counter() - started) * 1000:.0f} ms")

    kitctl = [str(BIN / "kitctl"), "--config", str(config)]
    wait_for(
        lambda: all(d["state"] == "ready" for d in json.loads(run([*kitctl, "devices", "--json"]))),
        "all devices ready",
        30,
        logs(work, "kitd"),
    )
    if not args.json:
        run([*kitctl, "devices"], capture=False)

    say(f"the visit: kitctl enroll --profile {args.profile} --age {args.age} --auto")
    started = time.perf_counter()
    enroll = subprocess.run(
        [
            *kitctl,
            "enroll",
            "--profile",
            args.profile,
            "--age",
            str(args.age),
            *citizen_args(sims),
            "--recipient-key",
            str(recipient_private),
            "--json",
        ],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if enroll.returncode != 0:
        raise SystemExit("demo: the visit failed:\n" + logs(work, "kitd").read_text()[-3000:])
    summary = json.loads(enroll.stdout.strip().splitlines()[-1])
    visit_seconds = time.perf_counter() - started

    keys = ["--key", str(recipient_private), "--kit-keys", keygen["published_keys"]]
    opened, opened_report, report = receive(work, received, summary, keys, "opened")
    print_summary(summary, opened_report, visit_seconds, opened, report)
    if args.visit == "delivery":
        summary = delivery(
            work, kitctl, sims, opened, signer_private, kitd_dir, received, keys, args.age
        )
    if args.json:
        print(json.dumps(summary), flush=True)
    return 0


def receive(
    work: Path, received: Path, summary: dict[str, Any], keys: list[str], name: str
) -> tuple[Path, dict[str, Any], Path]:
    """Waits for the outbox to upload the visit's package, then opens it as the back office."""
    say("the outbox uploads the sealed package to the back office's receiver")
    wait_for(
        lambda: received_package(received, summary["package_id"]) is not None,
        "upload",
        60,
        logs(work, "kitd"),
    )
    delivered = received_package(received, summary["package_id"])
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
    received: Path,
    keys: list[str],
    age: int,
) -> dict[str, Any]:
    """The card delivery: the reference download from the enrolled right index, then the visit."""
    say(
        "back office: the sealed reference download from the enrolled right index (kitpkg reference)"
    )
    reference = work / "reference.kitref"
    made = json.loads(
        run(
            [
                str(BIN / "kitpkg"),
                "reference",
                str(enrolled / "finger-02.wsq"),
                "--finger",
                "2",
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
        f"reference {made['reference_id']}: {made['minutiae']} minutiae, until {made['expires_at']}"
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
            "demo: the delivery failed:\n"
            + result.stdout[-2000:]
            + logs(work, "kitd").read_text()[-3000:]
        )
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    seconds = time.perf_counter() - started
    opened, opened_report, report = receive(work, received, summary, keys, "opened-delivery")
    print_summary(summary, opened_report, seconds, opened, report)
    verification = summary["verification"]
    say(
        f"fingerprint verified: score {verification['score']} (threshold "
        f"{verification['threshold']}); the card may be handed over"
    )
    return summary


def received_package(received: Path, package_id: str) -> Path | None:
    """The sealed package as the receiver stored it (the kit deletes its copy after the receipt)."""
    path = received / package_id / "package.kitpkg"
    return path if path.is_file() else None


def logs(work: Path, name: str) -> Path:
    return work / "logs" / f"{name}.log"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


if __name__ == "__main__":
    sys.exit(main())

"""Fingerprint reader figures: one capture's machine overhead, image transfer throughput, unplug noticed,
and the generator's cost per impression (and per master print, which is cached per finger).

The reader is the KFP1 simulator in its own process behind its Unix socket; the driver is the production
KFP1Scanner over pyusb. The capture overhead runs from the CAPTURE command to the decoded final image,
with the finger already on the glass and auto-capture at the policy's threshold.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from figures import Context, Figure, time_ms

from kitharness.measures import median, percentile
from kitharness.sim_process import SimProcess


def _transfer_throughput(source: str, rounds: int) -> float:
    """MB/s of final-image transfers on the image endpoint, first transfer to last, through pyusb."""
    import usb.core
    import usb.util

    from hal.fingerprint import protocol as kfp1
    from hal.usb.sim_backend import SimBackend

    device = usb.core.find(backend=SimBackend(source.removeprefix("kfp1+sim:unix:")))
    assert device is not None
    device.set_configuration()
    usb.util.claim_interface(device, 0)
    total_bytes, total_s = 0, 0.0
    try:
        for tag in range(1, rounds + 1):
            command = kfp1.encode_command(
                kfp1.Opcode.CAPTURE, tag, kfp1.capture_payload(5000, 0, preview=False)
            )
            device.write(kfp1.EP_COMMAND, command, 1000)
            device.read(kfp1.EP_RESPONSE, 4096, 1000)
            assembler = kfp1.ImageAssembler()
            first = bytes(device.read(kfp1.EP_IMAGE, kfp1.IMAGE_TRANSFER_SIZE, 5000))
            start = time.perf_counter()
            size = len(first)
            image = assembler.feed(first)
            while image is None:
                chunk = bytes(device.read(kfp1.EP_IMAGE, kfp1.IMAGE_TRANSFER_SIZE, 5000))
                size += len(chunk)
                image = assembler.feed(chunk)
            total_s += time.perf_counter() - start
            total_bytes += size
            while True:  # the capture's events
                try:
                    device.read(kfp1.EP_EVENT, 64, 20)
                except usb.core.USBTimeoutError:
                    break
    finally:
        usb.util.dispose_resources(device)
    return total_bytes / total_s / 1e6


def run(ctx: Context) -> list[Figure]:
    from hal.fingerprint.driver import KFP1Scanner
    from hal.registry import resolve
    from kitsim.prints.impression import Placement, render
    from kitsim.prints.master import master_print

    figures: list[Figure] = []

    start = time.perf_counter()
    master = master_print("bench-person", 2)
    master_ms = (time.perf_counter() - start) * 1000
    seeds = iter(range(1_000_000))
    render_times = time_ms(lambda: render(master, Placement(quality=0.8, seed=next(seeds))), 30)
    figures.append(
        Figure(
            "fingerprint",
            "generator time per impression (median)",
            median(render_times),
            "ms",
            ("<=", 50.0),
        )
    )
    figures.append(
        Figure("fingerprint", "generator master print (once per finger)", master_ms, "ms")
    )

    with tempfile.TemporaryDirectory(prefix="kfp1-bench-") as workdir:
        sim = SimProcess("fingerprint", Path(workdir))
        try:
            sim.control("place", quality=0.9)
            scanner = resolve(sim.source, name="fingerprint")
            assert isinstance(scanner, KFP1Scanner)
            scanner.open()
            try:
                times = time_ms(lambda: scanner.capture(timeout=5.0, auto_capture_threshold=40), 30)
            finally:
                scanner.close()
            figures.append(
                Figure(
                    "fingerprint",
                    "one capture, machine overhead (median, finger placed)",
                    median(times),
                    "ms",
                    ("<=", 300.0),
                    {"p95_ms": percentile(times, 0.95)},
                )
            )
            figures.append(
                Figure(
                    "fingerprint",
                    "image transfer throughput (final images, sim backend)",
                    _transfer_throughput(sim.source, 20),
                    "MB/s",
                    (">=", 10.0),
                )
            )

            scanner.open()
            noticed = threading.Event()
            scanner.add_link_lost_listener(lambda error: noticed.set())
            start = time.perf_counter()
            sim.control("unplug")
            noticed.wait(5.0)
            unplug_ms = (time.perf_counter() - start) * 1000
            scanner.close()
            figures.append(
                Figure(
                    "fingerprint",
                    "unplug noticed while idle",
                    unplug_ms,
                    "ms",
                    ("<=", 1000.0),
                )
            )
        finally:
            sim.close()
    return figures
